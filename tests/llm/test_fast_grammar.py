"""Greedy decoding under a grammar, checking the model's own choice first (town.llm.fast_grammar),
gives the very tokens that filtering the whole vocabulary gives: on the bundled model, in this
process, for answers the grammar lets through and answers it has to bend."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from town.llm import fast_grammar
from town.llm.models import QWEN, model_file

llama_cpp = pytest.importorskip("llama_cpp")


class Errand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: Literal["Hobbs Cafe", "Johnson Park", "Oak Hill College library"]
    why: str


class Odd(BaseModel):  # names no model would pick unasked: the grammar must refuse its choices
    model_config = ConfigDict(extra="forbid")
    word: Literal["qzx vrum", "plonk 7"]


ASKED = [
    (Errand, "You are Klaus, a sociology student. Where do you go this afternoon, and why?"),
    (Odd, "Say hello to your neighbour."),
]


def answers(llm) -> list[tuple[str, int, int]]:
    """Each answer's text, and the tokens checked first and refused by the grammar."""
    out = []
    for schema, prompt in ASKED:
        reply = llm.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            max_tokens=40,
            temperature=0,
            response_format={"type": "json_object", "schema": schema.model_json_schema()},
        )
        sampler = llm._sampler
        checked = getattr(sampler, "checked", 0)
        out.append(
            (reply["choices"][0]["message"]["content"], checked, getattr(sampler, "refused", 0))
        )
    return out


@pytest.mark.slow
def test_checking_first_gives_the_same_tokens(monkeypatch) -> None:
    path = str(model_file(QWEN))

    def load():
        return llama_cpp.Llama(path, n_ctx=512, n_threads=1, verbose=False)

    plain = answers(load())
    assert all(checked == 0 for _, checked, _ in plain)  # llama-cpp-python's own sampling
    monkeypatch.setattr(llama_cpp.Llama, "_init_sampler", llama_cpp.Llama._init_sampler)
    fast_grammar.install()
    fast = answers(load())
    assert [text for text, _, _ in fast] == [text for text, _, _ in plain]
    for text, checked, _ in fast:
        assert checked > 0 and json.loads(text)
    errand, odd = fast
    assert errand[2] < errand[1]  # most tokens pass the check: the fast path is the usual one
    assert odd[2] > 0  # and where the grammar refused the model's choice, the slow path chose
