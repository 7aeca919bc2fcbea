"""Code every service shares: event contracts, topics, wiring factories, logging, metrics."""
