"""A cluster of simulated allsmi-py nodes in one process, for development and tests."""
