"""The last line of defence: a request that fails for good gets its explicit fallback answer,
marked as such, so a model failure never ends a run."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from town.llm.base import LanguageModel, Reply, Request

log = logging.getLogger(__name__)


class Fallback:
    def __init__(self, model: LanguageModel) -> None:
        self.model = model

    def __repr__(self) -> str:
        return f"Fallback({self.model!r})"

    async def complete(self, request: Request) -> Reply:
        try:
            return await self.model.complete(request)
        except Exception as err:  # CancelledError is not an Exception: it still propagates
            if request.fallback is None:
                raise
            log.warning(
                "%s request of %s failed (%s: %s); using its fallback",
                request.purpose,
                request.agent,
                type(err).__name__,
                err,
            )
            value = request.fallback()
            failure = type(err).__name__
            if isinstance(value, BaseModel):
                return Reply(value.model_dump_json(), value, fallback=True, error=failure)
            return Reply(str(value), None, fallback=True, error=failure)
