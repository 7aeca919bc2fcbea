"""A running service: its app (lifespan, /health, /metrics), main, settings, logging, the state
guard."""
