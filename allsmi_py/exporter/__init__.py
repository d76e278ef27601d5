"""The Prometheus exporter: metric schema, renderer, ASGI app and the `allsmi api` server."""
