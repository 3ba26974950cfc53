"""Language models: the interface, its backends and the wrappers that add behaviour."""

from town.llm.base import LanguageModel, Message, Reply, Request, messages
from town.llm.cache import Cache
from town.llm.errors import (
    BackendError,
    InvalidAnswer,
    ModelError,
    ModelTimeout,
    RateLimited,
    Rejected,
    ServerError,
    TransientError,
)
from town.llm.fallback import Fallback
from town.llm.limits import InFlightCap
from town.llm.meter import Counters, Meter, Usage
from town.llm.prices import Price, Prices
from town.llm.recorder import ModelCall, Recorder, Replayer, ReplayMiss
from town.llm.retry import Retry
from town.llm.scripted import ScriptedModel
from town.llm.stack import Stack, compose, replay
from town.llm.timeout import Timeout

__all__ = [
    "BackendError",
    "Cache",
    "Counters",
    "Fallback",
    "InFlightCap",
    "InvalidAnswer",
    "LanguageModel",
    "Message",
    "Meter",
    "ModelCall",
    "ModelError",
    "ModelTimeout",
    "Price",
    "Prices",
    "RateLimited",
    "Recorder",
    "Rejected",
    "ReplayMiss",
    "Replayer",
    "Reply",
    "Request",
    "Retry",
    "ScriptedModel",
    "ServerError",
    "Stack",
    "Timeout",
    "TransientError",
    "Usage",
    "compose",
    "messages",
    "replay",
]
