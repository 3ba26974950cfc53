"""Prompt templates (the .txt files beside this module) and the shapes of their answers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from town.llm.base import Message, messages

FOLDER = Path(__file__).parent


@cache
def template(name: str) -> Template:
    return Template((FOLDER / f"{name}.txt").read_text(encoding="utf-8"))


def render(template_name: str, /, **values: object) -> str:
    """Fill a template; a missing value is a bug, so it raises."""
    return template(template_name).substitute({k: str(v) for k, v in values.items()}).strip()


def conversation(template_name: str, speaker: str, /, **values: object) -> tuple[Message, ...]:
    """The system message that casts the model as the agent, then the filled template."""
    return messages(render("system", name=speaker), render(template_name, **values))
