"""Choosing a backend from the command line's --llm."""

from __future__ import annotations

import os

from town.llm.base import LanguageModel
from town.llm.scripted import Rule, ScriptedModel

BACKENDS = ("scripted",)


class BackendError(ValueError):
    """A backend that cannot be used here, with the reason."""


def default_backend() -> str:
    """The embedded local model unless an OpenAI-compatible endpoint is configured."""
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        return "openai"
    return "local"


def make_model(spec: str, *, seed: int, rules: dict[str, Rule]) -> LanguageModel:
    if spec == "scripted":
        return ScriptedModel(rules, seed=seed)
    raise BackendError(
        f"the {spec!r} backend is not available yet; use --llm scripted (choices: "
        f"{', '.join(BACKENDS)})"
    )
