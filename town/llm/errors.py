"""What can go wrong with a model, sorted by what to do about it.

Transient failures are worth another try (the retry wrapper waits and tries again); the others
are not. Messages name the endpoint but never carry its key: see `scrub`.
"""

from __future__ import annotations


class ModelError(Exception):
    """A model request that failed."""


class TransientError(ModelError):
    """A failure that may go away: worth retrying, after `retry_after` seconds if the server
    said so."""

    counter = "server_errors"  # the Usage field that counts this kind of failure

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    counter = "rate_limits"


class ServerError(TransientError):
    counter = "server_errors"


class ModelTimeout(TransientError):
    counter = "timeouts"


class ConnectionFailed(TransientError):
    counter = "connection_errors"


class Rejected(ModelError):
    """The endpoint refused the request (bad request, wrong key, unknown model): retrying the
    same request cannot help."""


class InvalidAnswer(ModelError):
    """An answer that is empty, not JSON, or not of the requested shape, even after the one
    repair request."""


class BackendError(ValueError):
    """A backend that cannot be used here (bad --llm input, missing key, damaged model file),
    with the reason. The command line reports it and exits with status 2."""


def scrub(text: str, *secrets: str) -> str:
    """`text` with every secret replaced, for messages that quote what a server said (a hostile
    or careless server may echo the key back)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return text
