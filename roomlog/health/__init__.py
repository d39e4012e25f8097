"""``/healthz``: liveness and readiness for load balancers."""
