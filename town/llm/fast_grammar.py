"""Greedy decoding under a grammar at the speed of plain decoding, in the embedded server.

llama-cpp-python samples a grammar-constrained token by checking every one of the vocabulary's
tokens against the grammar (151,936 for Qwen2.5), at every step: about 28 ms a token on one
core, more than the model's own 42 ms. llama.cpp's own server does it the other way round:
it takes the token the model would choose anyway and checks that one; only when the grammar
refuses it are all the tokens filtered. For greedy decoding (temperature 0, as every request
of the town's) the chosen token is the same either way: the best token the grammar allows is
the best token when the grammar allows it. `install()` makes llama-cpp-python do the same;
the server process calls it before it starts (town.llm.llama_child).
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp.llama import Llama

GREEDY_CHAIN = ("penalties", "grammar", "greedy")  # what _init_sampler builds for temp 0
TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


class CheckFirst:
    """A greedy, grammar-constrained sampler chain, sampled by checking its best token first."""

    def __init__(self, inner: Any, n_vocab: int) -> None:
        self.inner = inner  # llama_cpp's LlamaSampler: owns the chain and frees it
        chain = inner.sampler
        self.penalties = llama_cpp.llama_sampler_chain_get(chain, 0)
        self.grammar = llama_cpp.llama_sampler_chain_get(chain, 1)
        self.n_vocab = n_vocab
        self.buffer = (llama_cpp.llama_token_data * n_vocab)()
        self.view = np.frombuffer(self.buffer, dtype=TOKEN_DATA)
        self.view["id"] = np.arange(n_vocab, dtype=np.int32)
        self.one = (llama_cpp.llama_token_data * 1)()
        self.checked = self.refused = 0  # tokens checked first, and those the grammar refused

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def sample(self, ctx: Any, idx: int = -1) -> int:
        logits = llama_cpp.llama_get_logits_ith(ctx.ctx, idx)
        self.view["logit"] = np.ctypeslib.as_array(logits, shape=(self.n_vocab,))
        self.view["p"] = 0.0
        every = llama_cpp.llama_token_data_array(
            ctypes.cast(self.buffer, llama_cpp.llama_token_data_p), self.n_vocab, -1, False
        )
        llama_cpp.llama_sampler_apply(self.penalties, ctypes.byref(every))  # as the chain would
        token = int(self.view["logit"].argmax())  # the first best, as the greedy sampler takes
        self.one[0].id, self.one[0].logit, self.one[0].p = token, self.view["logit"][token], 0.0
        alone = llama_cpp.llama_token_data_array(
            ctypes.cast(self.one, llama_cpp.llama_token_data_p), 1, -1, False
        )
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(alone))
        self.checked += 1
        if math.isfinite(self.one[0].logit):
            llama_cpp.llama_sampler_accept(self.inner.sampler, token)  # every sampler's state
            return token
        self.refused += 1
        return self.inner.sample(ctx, idx)  # the whole chain: every token through the grammar


def _names(sampler: Any) -> tuple[str, ...]:
    chain = sampler.sampler
    return tuple(
        llama_cpp.llama_sampler_name(llama_cpp.llama_sampler_chain_get(chain, i)).decode()
        for i in range(llama_cpp.llama_sampler_chain_n(chain))
    )


def install() -> None:
    """Greedy grammar chains check their best token first, in every Llama made from now on."""
    if getattr(Llama._init_sampler, "checks_first", False):
        return
    build = Llama._init_sampler

    def _init_sampler(self: Llama, *args: Any, **kwargs: Any) -> Any:
        sampler = build(self, *args, **kwargs)
        names = _names(sampler)  # llama.cpp names its penalties sampler "?penalties"
        if tuple(n.lstrip("?") for n in names) == GREEDY_CHAIN and not sampler.custom_samplers:
            return CheckFirst(sampler, self._n_vocab)
        return sampler

    _init_sampler.checks_first = True  # type: ignore[attr-defined]
    Llama._init_sampler = _init_sampler  # type: ignore[method-assign]
