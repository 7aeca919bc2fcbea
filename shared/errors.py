"""One error hierarchy for the whole project.

- `RejectedError`: what can never be accepted as it is. Never retried: a request gets its
  `http_status` with the message as `detail` (shared/web/http_errors.py), a message goes to
  its dead-letter topic with `dead_letter_reason` (shared/messaging/delivery.py). Each is
  mapped there, once, for every service.
- `TransientError`: a failure that passes (a store being rebuilt, the reference data not read
  far enough yet). A message waits and is retried in place; a request gets 503.

Domain and events modules may import only this file outside their own packages.
"""

from typing import ClassVar


class ProjectError(Exception):
    """Every error the project raises on purpose."""


class RejectedError(ProjectError):
    http_status: ClassVar[int] = 422

    @property
    def dead_letter_reason(self) -> str:
        return str(self)


class NotFoundError(RejectedError):
    http_status = 404


class ConflictingError(RejectedError):
    """The request contradicts the state it finds (409)."""

    http_status = 409


class TransientError(ProjectError):
    """Retried in place (a message); 503 with Retry-After (a request)."""


class ReferenceNotCurrentError(TransientError):
    """The reference data's log could not be read far enough in time; the caller retries later."""
