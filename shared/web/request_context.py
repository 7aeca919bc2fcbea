"""Routes at module level, given their service's parts: a router made by `router_with(parts)`
puts them on each request it serves, and a route takes them as a parameter annotated with
`Depends(parts_of)` (e.g. `Annotated[Desk, Depends(parts_of)]`)."""

from typing import Any

from fastapi import APIRouter, Depends, Request


def router_with(parts: object, **options: Any) -> APIRouter:
    """A router whose routes (and the routers it includes) get `parts` from `parts_of`."""

    async def provide(request: Request) -> None:
        request.state.parts = parts

    return APIRouter(dependencies=[Depends(provide)], **options)


def parts_of(request: Request) -> Any:
    return request.state.parts
