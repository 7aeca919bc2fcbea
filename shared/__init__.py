"""What the services share, one package per role (the rule between them is kept by
tests/unit/test_shared_layers.py):

- `domain/`: the domain's rules, pure (calendar, clock, catalogue, units, reference data, tokens);
- `events/`: the event and request contracts, and the topic registry;
- `messaging/`: Kafka (access, principals, broker, delivery, batches, commits, publishing, dead
  letters, topic admin, history, the reference follower, the subscribers' watchdog);
- `persistence/`: the Redis client, the outbox, parking, PostgreSQL's errors;
- `web/`: API keys, HTTP access, error answers, the request body's limit;
- `runtime/`: the service app, main, settings, logging, the state guard;
- `errors.py`: the errors more than one role knows of.
"""
