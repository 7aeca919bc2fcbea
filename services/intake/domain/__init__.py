"""The intake service's rules, pure: no Kafka, no Redis, no HTTP."""
