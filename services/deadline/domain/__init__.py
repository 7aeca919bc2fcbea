"""The deadline service's rules, pure: no Kafka, no Redis, no HTTP."""
