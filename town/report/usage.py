"""What the model was asked, by purpose: requests, tokens, cost, latency and fallbacks, from
the calls the run file recorded."""

from __future__ import annotations

import pandas as pd

from town.llm.prices import Prices
from town.record.runfile import RunFolder

CALL_FIELDS = (
    "purpose",
    "json_extract(call, '$.model')",
    "json_extract(call, '$.prompt_tokens')",
    "json_extract(call, '$.completion_tokens')",
    "json_extract(call, '$.seconds')",
    "json_extract(call, '$.fallback')",
    "json_extract(call, '$.cached')",
    "json_extract(call, '$.error') IS NOT NULL",
)
CALL_COLUMNS = [
    "purpose",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "seconds",
    "fallback",
    "cached",
    "error",
]
USAGE_COLUMNS = [
    "purpose",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "tokens",
    "cost",
    "mean_seconds",
    "p95_seconds",
    "fallbacks",
    "cache_hits",
    "errors",
]


def calls(folder: RunFolder) -> pd.DataFrame:
    """One row per recorded call, only the fields measured (the prompts stay in the file)."""
    db = folder.reader()
    try:
        rows = db.execute(f"SELECT {', '.join(CALL_FIELDS)} FROM model_calls ORDER BY id")
        frame = pd.DataFrame(rows.fetchall(), columns=CALL_COLUMNS)
    finally:
        db.close()
    for column in ("prompt_tokens", "completion_tokens"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["seconds"] = frame["seconds"].fillna(0.0).astype(float)
    for column in ("fallback", "cached", "error"):
        frame[column] = frame[column].fillna(0).astype(bool)
    return frame


def usage_by_purpose(frame: pd.DataFrame, prices: Prices | None = None) -> pd.DataFrame:
    """One row per purpose and a last row, "all"; cost in USD from the price table."""
    if frame.empty:
        return pd.DataFrame(columns=USAGE_COLUMNS)
    prices = prices or Prices()
    frame = frame.assign(
        cost=[
            prices.cost(m or "", p, c)
            for m, p, c in zip(
                frame.model, frame.prompt_tokens, frame.completion_tokens, strict=True
            )
        ]
    )
    rows = [_usage(purpose, group) for purpose, group in frame.groupby("purpose")]
    rows.append(_usage("all", frame))
    return pd.DataFrame(rows, columns=USAGE_COLUMNS)


def _usage(purpose: str, group: pd.DataFrame) -> dict[str, object]:
    return {
        "purpose": purpose,
        "requests": len(group),
        "prompt_tokens": int(group.prompt_tokens.sum()),
        "completion_tokens": int(group.completion_tokens.sum()),
        "tokens": int(group.prompt_tokens.sum() + group.completion_tokens.sum()),
        "cost": float(group.cost.sum()),
        "mean_seconds": float(group.seconds.mean()),
        "p95_seconds": float(group.seconds.quantile(0.95)),
        "fallbacks": int(group.fallback.sum()),
        "cache_hits": int(group.cached.sum()),
        "errors": int(group.error.sum()),
    }
