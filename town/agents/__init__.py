"""The people of the town: who they are (persona) and what they are doing (state)."""

from town.agents.persona import Persona
from town.agents.state import Action, AgentState, Status

__all__ = ["Action", "AgentState", "Persona", "Status"]
