"""Every tunable of the simulation in one place; a scenario's [config] table overrides it.

The defaults are the paper's where it names a value.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TownConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # Perception.
    vision_radius: int = Field(8, ge=0, description="tiles an agent sees around it")
    attention_bandwidth: int = Field(8, ge=1, description="nearest events perceived per tick")
    retention: int = Field(5, ge=0, description="recent sightings not perceived again")
    # Importance of what is perceived: one request rates everything new an agent saw since its
    # last rating, at most once every `importance_every_minutes`; routine sights are not rated.
    importance_every_minutes: int = Field(10, ge=0)
    routine_importance: int = Field(1, ge=1, le=10)
    own_action_importance: int = Field(2, ge=1, le=10)
    seed_importance: int = Field(7, ge=1, le=10, description="scenario seed memories")
    # Retrieval: score = w_recency * recency + w_importance * importance + w_relevance * relevance.
    recency_weight: float = Field(1.0, ge=0)
    importance_weight: float = Field(1.0, ge=0)
    relevance_weight: float = Field(1.0, ge=0)
    recency_decay: float = Field(0.995, gt=0, le=1, description="per game hour")
    retrieve_k: int = Field(8, ge=1, description="memories retrieved for a prompt")
    # Planning.
    decompose_minutes: int = Field(60, ge=15, description="how far ahead a block is split")
    task_minutes_min: int = Field(5, ge=1)
    task_minutes_max: int = Field(15, ge=1)
    # Reacting and conversing.
    react_cooldown_minutes: int = Field(60, ge=0, description="before reconsidering someone")
    react_every_minutes: int = Field(10, ge=0, description="between two reaction decisions")
    conversation_cooldown_minutes: int = Field(120, ge=0, description="per pair, after a chat")
    conversation_max_turns: int = Field(8, ge=2, description="utterances in one conversation")
    conversation_max_people: int = Field(4, ge=2, description="a group conversation's size")
    # Reflection.
    reflection_threshold: int = Field(150, ge=1, description="summed importance since the last")
    reflection_window: int = Field(100, ge=1, description="latest memories that pose questions")
    focal_questions: int = Field(3, ge=1)
    insights_per_question: int = Field(5, ge=1)
    # Ablations (the paper's, section 6): an agent without observation perceives nothing,
    # without reflection never reflects, without planning follows a fixed routine instead of a
    # day plan. Each also hides its kind of memory from interviews, so that the same saved run
    # can be interviewed under every condition, as the paper's evaluation did.
    observe: bool = True
    reflect: bool = True
    plan: bool = True
    # The model.
    max_in_flight: int = Field(8, ge=1, description="model requests running at once")
    # How long a decision takes in game time. At 0 the world waits for every decision (the
    # paper's way, and the exact one for debugging prompts). Above 0 the world goes on while
    # agents think, and each decision lands this many game minutes after it was asked for, so
    # the decisions of agents who think at nearby moments overlap (issue 9). An agent whose
    # action ends thinks ahead: it starts this long before the end, while still at it.
    thinking_minutes: float = Field(0, ge=0, le=60, description="game minutes a decision takes")
    # When the world does not wait for the model (the window), a decision lands when its
    # answer comes; one that falls this far behind holds the clock until it comes, so that no
    # agent acts on a plan hours stale.
    decision_lag_max_minutes: float = Field(
        30, gt=0, le=24 * 60, description="how far a decision may lag before the clock waits"
    )
