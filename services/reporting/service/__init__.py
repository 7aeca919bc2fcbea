"""The reporting service's layer: what its HTTP routes and Kafka handlers call."""
