"""`python -m mock_server`: same as `allsmi-mock`."""

import sys

from mock_server.cli import main

sys.exit(main())
