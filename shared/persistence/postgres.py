"""What the services treat as PostgreSQL being unreachable, or its schema being rebuilt:
failures to retry in place (shared/messaging/delivery.py), never a reason to dead-letter a
message."""

import asyncpg

POSTGRES_UNREACHABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # refused, lost, "cannot connect now" while starting
    asyncpg.InterfaceError,  # a connection closed under a query
    asyncpg.OperatorInterventionError,  # the server shutting down, a query cancelled by it
    asyncpg.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)
# The schema dropped (a wiped database) until the state guard re-creates it.
POSTGRES_SCHEMA_MISSING: tuple[type[Exception], ...] = (
    asyncpg.UndefinedTableError,
    asyncpg.InvalidSchemaNameError,
    asyncpg.UndefinedFunctionError,
)
