"""How every client of the project connects to Kafka: SASL/SCRAM-SHA-512 as one principal,
over TLS when a CA file is given (compose), or SASL_PLAINTEXT on loopback (development).

The credentials come from the environment: `KAFKA_USERNAME` (default: the caller's own
principal name), `KAFKA_PASSWORD` or `KAFKA_PASSWORD_FILE` (a Docker secret), and
`KAFKA_SSL_CAFILE` (turns TLS on). Without a password, and only against a loopback broker,
the development password of the principal is used: the one `scripts/infra.sh` provisions.
Anywhere else a missing password is an error, so a deployment never runs on the
development credentials by accident."""

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.security import SASLScram512

from shared.errors import ProjectError
from shared.messaging.kafka_principals import development_password

MECHANISM = "SCRAM-SHA-512"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class KafkaCredentialsError(ProjectError, ValueError):
    """No password for a principal outside development."""


def on_loopback(bootstrap_servers: str) -> bool:
    hosts = {server.rsplit(":", 1)[0] for server in bootstrap_servers.split(",") if server}
    return bool(hosts) and hosts <= LOOPBACK_HOSTS


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap_servers: str
    username: str
    password: str
    ssl_cafile: str | None = None

    def __repr__(self) -> str:  # never print the password
        return f"KafkaAccess({self.bootstrap_servers!r}, user={self.username!r})"

    @classmethod
    def resolve(
        cls,
        bootstrap_servers: str,
        username: str,
        password: str | None = None,
        password_file: str | None = None,
        ssl_cafile: str | None = None,
    ) -> "KafkaAccess":
        if password is None and password_file:
            password = Path(password_file).read_text().strip()
        if password is None:
            if not on_loopback(bootstrap_servers):
                raise KafkaCredentialsError(
                    f"no Kafka password for principal {username!r}: set KAFKA_PASSWORD or "
                    "KAFKA_PASSWORD_FILE (development passwords work on a loopback broker only)"
                )
            password = development_password(username)
        return cls(bootstrap_servers, username, password, ssl_cafile or None)

    @classmethod
    def from_env(cls, principal: str, bootstrap_servers: str | None = None) -> "KafkaAccess":
        """For commands and tools outside a service's settings (topic admin, audit, demo)."""
        return cls.resolve(
            bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            os.environ.get("KAFKA_USERNAME") or principal,
            os.environ.get("KAFKA_PASSWORD") or None,
            os.environ.get("KAFKA_PASSWORD_FILE") or None,
            os.environ.get("KAFKA_SSL_CAFILE") or None,
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.ssl_cafile is None:
            return None
        return ssl.create_default_context(cafile=self.ssl_cafile)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": "SASL_SSL" if self.ssl_cafile else "SASL_PLAINTEXT",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
            "ssl_context": self.ssl_context(),
        }

    def faststream_security(self) -> SASLScram512:
        context = self.ssl_context()
        return SASLScram512(
            self.username, self.password, ssl_context=context, use_ssl=context is not None
        )
