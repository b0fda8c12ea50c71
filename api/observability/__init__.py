"""Operating Atelier: health and readiness probes, structured JSON logs with request ids, Prometheus
metrics. Each module has one job; ``api.app`` registers the routes and the middleware."""
