"""Clients and their API keys, for every service's HTTP API and for the requests frontends
put on Kafka (in the `x-api-key` header). Keys are stored only as SHA-256 hashes, in a TOML
file an operator edits (`API_KEYS_FILE`); `python -m shared.web.api_keys hash KEY` prints a hash.

Scopes (the agency-bound ones act for the agencies listed, "*" for all):
- `frontend`: files dossiers and moves them through their lives (intake), for its agencies;
- `rating`: kiosks and counter frontends rating dossiers of its agencies (survey);
- `reports`: reports and lists that name people (clerks), for its agencies (reporting);
- `postal`: postal partners reporting delivery (intake);
- `import`: may give past times (`occurred_at`, `received_at`), to migrate history;
- `admin`: catalogue reload, rebuilds and other admin routes.
"""

import hashlib
import hmac
import sys
import tomllib
from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import RejectedError


class Scope(StrEnum):
    FRONTEND = "frontend"
    POSTAL = "postal"
    IMPORT = "import"
    ADMIN = "admin"
    RATING = "rating"
    REPORTS = "reports"


class UnauthenticatedError(RejectedError, PermissionError):
    """No key, or a key nobody holds (HTTP 401)."""

    http_status = 401

    @property
    def dead_letter_reason(self) -> str:
        return f"unauthenticated: {self}"


class AccessDeniedError(RejectedError, PermissionError):
    """A known client acting outside its scopes or agencies (HTTP 403)."""

    http_status = 403

    @property
    def dead_letter_reason(self) -> str:
        return f"forbidden: {self}"


class Client(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: frozenset[Scope]
    agencies: frozenset[str] = frozenset()

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise AccessDeniedError(f"client {self.id} lacks the '{scope.value}' scope")

    def require_agency(self, *agencies: str, scope: Scope = Scope.FRONTEND) -> None:
        """The scope, for one of `agencies` (a dossier's handling or receiving agency)."""
        self.require(scope)
        if not self.acts_for(*agencies):
            raise AccessDeniedError(f"client {self.id} may not act for {', '.join(agencies)}")

    def acts_for(self, *agencies: str) -> bool:
        return "*" in self.agencies or bool(set(agencies) & self.agencies)

    @property
    def all_agencies(self) -> bool:
        return "*" in self.agencies

    @property
    def may_backdate(self) -> bool:
        return Scope.IMPORT in self.scopes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients

    @classmethod
    def from_toml(cls, text: str) -> "ApiKeys":
        try:
            data = tomllib.loads(text)
            return cls([Client.model_validate(entry) for entry in data.get("client", [])])
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            raise ValueError(f"API keys file is invalid: {error}") from error

    def authenticate(self, key: str | None) -> Client:
        if not key:
            raise UnauthenticatedError("missing API key (send it in the X-API-Key header)")
        digest = hash_key(key)
        for client in self.clients:
            if hmac.compare_digest(client.key_sha256, digest):
                return client
        raise UnauthenticatedError("unknown API key")

    def client(self, client_id: str) -> "Client | None":
        return next((client for client in self.clients if client.id == client_id), None)

    def authenticate_optional(self, key: str | None) -> "Client | None":
        """No key is no client (a caller proving itself otherwise); a wrong key is an error."""
        return None if not key else self.authenticate(key)

    def by_hash(self, key_sha256: str) -> "Client | None":
        return next(
            (c for c in self.clients if hmac.compare_digest(c.key_sha256, key_sha256)), None
        )

    def message_client(self, headers: Mapping[str, str]) -> Client:
        client = self.message_client_optional(headers, optional=False)
        assert client is not None  # not optional: a missing key raised
        return client

    def message_client_optional(
        self, headers: Mapping[str, str], *, optional: bool = True
    ) -> "Client | None":
        """The client a Kafka message acts for: its `x-api-key`'s, or, for a message an
        operator redrove from a dead-letter topic
        (`python -m shared.messaging.dead_letters redrive`),
        the original client's, named by its key's hash; only an admin key may redrive.
        `optional`: a message without a key (a rating with its token) has no client."""
        key = headers.get("x-api-key")
        if optional and not key:
            return None
        client = self.authenticate(key)
        original = headers.get("x-redrive-for-key-sha256")
        if original is None:
            return client
        if Scope.ADMIN not in client.scopes:
            raise AccessDeniedError(f"client {client.id} may not redrive (admin scope needed)")
        if not original:
            if optional:
                return None
            raise UnauthenticatedError("the redriven message came without an API key")
        acting = self.by_hash(original)
        if acting is None:
            raise UnauthenticatedError("the redriven message's original API key is revoked")
        return acting


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "hash":
        print(hash_key(sys.argv[2]))
        return
    print("usage: python -m shared.web.api_keys hash KEY", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
