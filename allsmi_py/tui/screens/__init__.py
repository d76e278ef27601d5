"""One screen per mode, plus the help screen."""
