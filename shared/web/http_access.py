"""API keys over HTTP, the same in every service: the `X-API-Key` header, 401 without a known
key, 403 for a known client acting outside its scopes or agencies."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader

from shared.errors import RejectedError
from shared.web.api_keys import ApiKeys, Client
from shared.web.http_errors import rejected

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="The client's API key")


def install_access(app: FastAPI, keys: ApiKeys) -> None:
    app.state.api_keys = keys
    app.add_exception_handler(RejectedError, rejected)  # 401 and 403 among them


async def authenticated(request: Request, key: Annotated[str | None, Security(API_KEY)]) -> Client:
    keys: ApiKeys = request.app.state.api_keys
    return keys.authenticate(key)


async def maybe_authenticated(
    request: Request, key: Annotated[str | None, Security(API_KEY)]
) -> Client | None:
    keys: ApiKeys = request.app.state.api_keys
    return keys.authenticate_optional(key)


Authenticated = Annotated[Client, Depends(authenticated)]
MaybeAuthenticated = Annotated[Client | None, Depends(maybe_authenticated)]
