"""Stores: the Redis client, the outbox, parking, PostgreSQL's errors. Never imports shared/runtime
or shared/web."""
