"""Kafka: access and principals, the broker and its delivery rules, batches, offset commits,
publishing, dead letters, topic admin, history, the reference data's follower, the subscribers'
watchdog. Never imports shared/runtime or shared/web."""
