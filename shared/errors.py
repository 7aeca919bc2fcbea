"""The project's errors that more than one layer knows of. Domain and events modules may import
only this file outside their own packages."""


class ReferenceNotCurrentError(RuntimeError):
    """The reference data's log could not be read far enough in time; the caller retries later
    (a transient failure: a message waits and is retried, a request gets 503)."""
