"""MemoryRecord: validation, plain data, last-access updates."""

from __future__ import annotations

import dataclasses
import json

import pytest

from memory import IdAllocator, MemoryKind, MemoryRecord


def record(**changes: object) -> MemoryRecord:
    fields: dict[str, object] = {
        "id": 7,
        "agent": "Isabella Rodriguez",
        "text": "Isabella is brewing coffee",
        "kind": "observation",
        "created": 100,
        "last_access": 120,
        "importance": 4,
    }
    fields.update(changes)
    return MemoryRecord(**fields)  # type: ignore[arg-type]


def test_kind_is_parsed_and_compares_as_text() -> None:
    r = record(kind="reflection", evidence=[1, 2])
    assert r.kind is MemoryKind.REFLECTION
    assert r.kind == "reflection"
    assert r.evidence == (1, 2)


@pytest.mark.parametrize("importance", [0, 11, -3])
def test_importance_out_of_range(importance: int) -> None:
    with pytest.raises(ValueError, match="importance must be from 1 to 10"):
        record(importance=importance)


@pytest.mark.parametrize("importance", [5.0, "5", True, None])
def test_importance_must_be_an_int(importance: object) -> None:
    with pytest.raises(TypeError, match="importance"):
        record(importance=importance)


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown memory kind 'dream'.*observation, reflection"):
        record(kind="dream")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"created": 1.5}, TypeError),
        ({"last_access": 99}, ValueError),  # before created
        ({"id": -1}, ValueError),
        ({"agent": ""}, ValueError),
        ({"text": None}, TypeError),
        ({"evidence": "12"}, TypeError),
        ({"evidence": (7,)}, ValueError),  # cites itself
        ({"expires": "tomorrow"}, TypeError),
    ],
)
def test_bad_fields(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        record(**changes)


def test_record_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        record().importance = 9  # type: ignore[misc]


def test_expiry_counts_through_its_tick() -> None:
    plan = record(kind="plan", expires=200)
    assert plan.is_live(200)
    assert not plan.is_live(201)
    assert record().is_live(10**9)


def test_accessed_changes_only_last_access() -> None:
    r = record(evidence=(1,), expires=500)
    later = r.accessed(300)
    assert later.last_access == 300
    assert dataclasses.replace(later, last_access=r.last_access) == r
    assert r.last_access == 120  # the original is untouched
    with pytest.raises(ValueError, match="before created"):
        r.accessed(50)


def test_dict_round_trip_through_json() -> None:
    r = record(kind="plan", evidence=(1, 3), expires=900)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["kind"] == "plan"
    assert MemoryRecord.from_dict(data) == r


def test_from_dict_refuses_unknown_and_missing_fields() -> None:
    data = record().to_dict()
    with pytest.raises(ValueError, match="unknown memory record fields"):
        MemoryRecord.from_dict({**data, "mood": "happy"})
    del data["importance"]
    with pytest.raises(ValueError, match="bad memory record"):
        MemoryRecord.from_dict(data)


def test_id_allocator_is_shared_and_restorable() -> None:
    ids = IdAllocator()
    assert list(ids.allocate(3)) == [0, 1, 2]
    ids.advance_past(9)
    assert list(ids.allocate(1)) == [10]
    ids.advance_past(4)  # never goes back
    state = ids.get_state()
    other = IdAllocator()
    other.set_state(state)
    assert other.next_id == 11
    with pytest.raises(ValueError):
        IdAllocator(-1)
