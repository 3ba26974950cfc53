"""What tokens cost: USD per million prompt (input) and completion (output) tokens, per model.

The defaults cover a few common OpenAI models (list prices, 2025; check them before trusting a
bill) and the bundled local models (free). Users give their own table as a TOML file, through
`--prices FILE` or the TOWN_PRICES environment variable; its entries replace the defaults:

    # USD per million tokens
    ["gpt-4o-mini"]
    input = 0.15
    output = 0.60

A model is priced by its exact name, else by the longest listed name it starts with followed by
"-" (so "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini"); a provider prefix such as
"openai/" is ignored. A model with no price counts as free, with one warning.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from town.llm.errors import BackendError

log = logging.getLogger(__name__)
PRICES_ENV = "TOWN_PRICES"


@dataclass(frozen=True, slots=True)
class Price:
    input: float  # USD per million prompt tokens
    output: float  # USD per million completion tokens


FREE = Price(0.0, 0.0)
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    # The bundled models run on this machine (the aliases the local server is started with).
    "qwen2.5-coder-0.5b-instruct": FREE,
    "smollm2-135m-instruct": FREE,
}


class Prices:
    def __init__(self, table: Mapping[str, Price] | None = None) -> None:
        self.table = {**DEFAULT_PRICES, **(table or {})}
        self._longest_first = sorted(self.table, key=len, reverse=True)
        self._unpriced: set[str] = set()

    def __repr__(self) -> str:
        return f"Prices({len(self.table)} models)"

    def of(self, model: str) -> Price:
        name = model.rsplit("/", 1)[-1]
        if name in self.table:
            return self.table[name]
        for listed in self._longest_first:
            if name.startswith(listed + "-"):
                return self.table[listed]
        if model and model not in self._unpriced:
            self._unpriced.add(model)
            log.warning("no price for model %r: its tokens count as free (see --prices)", model)
        return FREE

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.of(model)
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1e6

    @classmethod
    def load(cls, path: str | Path | None = None) -> Prices:
        """The defaults, updated from `path` (or the file TOWN_PRICES names, if set)."""
        path = path or os.environ.get(PRICES_ENV)
        if not path:
            return cls()
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            table = {
                model: Price(float(entry["input"]), float(entry["output"]))
                for model, entry in data.items()
            }
        except OSError as err:
            raise BackendError(f"cannot read the price table {path}: {err.strerror}") from None
        except (tomllib.TOMLDecodeError, TypeError, KeyError, ValueError) as err:
            raise BackendError(
                f"the price table {path} is not valid ({type(err).__name__}: {err}); each model "
                'needs a table like ["gpt-4o-mini"] with input = 0.15 and output = 0.60 '
                "(USD per million tokens)"
            ) from None
        return cls(table)
