"""`python -m allsmi_py` is the `allsmi` command."""

from allsmi_py.cli import main

raise SystemExit(main())
