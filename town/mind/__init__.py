"""Cognition: perceive, plan, act, react, converse, reflect, interview."""

from town.mind.mind import Decision, Mind, Situation
from town.mind.scripted import rules as scripted_rules

__all__ = ["Decision", "Mind", "Situation", "scripted_rules"]
