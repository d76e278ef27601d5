"""Names the `--ssh` flags and the SSH source share, importable without the rest (CLI start-up)."""

STRICT_MODES = ("yes", "accept-new", "no")  # --ssh-strict-host-key (ssh_session.py)
HOST_KEY_REFUSED = "host key for "  # how every refused host key's line begins
