"""Language models: the interface, its backends and the wrappers that add behaviour."""

from town.llm.base import LanguageModel, Message, Reply, Request, messages
from town.llm.fallback import Fallback
from town.llm.limits import InFlightCap
from town.llm.meter import Meter, Usage
from town.llm.scripted import ScriptedModel

__all__ = [
    "Fallback",
    "InFlightCap",
    "LanguageModel",
    "Message",
    "Meter",
    "Reply",
    "Request",
    "ScriptedModel",
    "Usage",
    "messages",
]
