"""Cognition: perceive, plan, act (and, later, react, converse, reflect, interview)."""

from town.mind.mind import Mind, Situation
from town.mind.scripted import rules as scripted_rules

__all__ = ["Mind", "Situation", "scripted_rules"]
