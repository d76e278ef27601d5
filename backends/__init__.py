"""Built-in hardware backends, one package per vendor."""
