"""What the town's objects are doing right now ("stove: boiling water"), and who made them so."""

from __future__ import annotations

from typing import Any

IDLE = "idle"


class ObjectStates:
    def __init__(self) -> None:
        self._state: dict[str, str] = {}
        self._user: dict[str, str] = {}  # address -> the agent whose action set the state
        self._changed: dict[str, str] = {}

    def __getitem__(self, address: str) -> str:
        return self._state.get(address, IDLE)

    def set(self, address: str, state: str, by: str | None = None) -> None:
        if state == IDLE:
            self._state.pop(address, None)
            self._user.pop(address, None)
        else:
            self._state[address] = state
            if by is None:
                self._user.pop(address, None)
            else:
                self._user[address] = by
        self._changed[address] = state

    def release(self, address: str, by: str) -> None:
        """The agent stops using the object: it goes idle unless someone else took it since."""
        if self._user.get(address) == by:
            self.set(address, IDLE)

    def user_of(self, address: str) -> str | None:
        """The agent whose action set the object's state; None for states set from outside."""
        return self._user.get(address)

    def busy(self) -> dict[str, str]:
        return dict(self._state)

    def take_changes(self) -> dict[str, str]:
        changes, self._changed = self._changed, {}
        return changes

    def get_state(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": dict(self._state), "user": dict(self._user)}
        if self._changed:  # set between ticks (a world event): the next tick's record has it
            data["changed"] = dict(self._changed)
        return data

    def set_state(self, data: dict[str, Any]) -> None:
        self._state, self._user = dict(data["state"]), dict(data["user"])
        self._changed = dict(data.get("changed", {}))
