"""What an agent is doing, as others see it: "<name> is <description>" reads as English."""

from __future__ import annotations

import pytest

from town.mind.wording import progressive

NAME = "Isabella Rodriguez"


@pytest.mark.parametrize(
    ("text", "doing"),
    [
        ("have lunch at Hobbs Cafe", "having lunch at Hobbs Cafe"),  # a plan's activity
        ("brewing coffee", "brewing coffee"),
        ("brews coffee", "brewing coffee"),  # "in the present tense"
        ("Isabella starts her day", "starting her day"),  # a small model's, with its subject
        ("Isabella Rodriguez is serving customers", "serving customers"),
        ("She washes the dishes.", "washing the dishes"),
        ("studies for the exam", "studying for the exam"),
        ("goes to the park", "going to the park"),
        ("get up and get ready for the day", "getting up and getting ready for the day"),
        ("buy bread and milk", "buying bread and milk"),
        ("chat with Maria", "chatting with Maria"),
        ("make breakfast", "making breakfast"),
        ("lie down", "lying down"),
        ("see a friend", "seeing a friend"),
        ("fixes the sink", "fixing the sink"),
        ("at the cafe", "at the cafe"),  # no verb: left alone
        ("lunch break", "lunch break"),
        ("Isabella", "Isabella"),
    ],
)
def test_a_description_reads_after_is(text: str, doing: str) -> None:
    assert progressive(text, NAME) == doing
