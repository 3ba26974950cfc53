"""What the model cost a run, by purpose.

The figures are the run's own: what its meter counted, session by session (the run, then each
resume), as the run file's `usage` table keeps them: attempts, retries, timeouts, 429s,
repairs, and the tokens of answers thrown away, at the prices the run used. `--prices` prices
the same tokens again with another table. Latency comes from the recorded calls.

A run file written before the usage table (or the calls of a run recorded before it was kept)
has only its calls' rows: those figures then come from them (no retries, no thrown-away
answers), and the caption says so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from town.llm.prices import Price, Prices
from town.record.runfile import RunFolder

CALL_FIELDS = (
    "id",
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
    "id",
    "purpose",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "seconds",
    "fallback",
    "cached",
    "error",
]
# The counts of town.llm.meter.Usage that the table shows, in its order.
COUNTS = (
    "requests",
    "attempts",
    "retries",
    "timeouts",
    "rate_limits",
    "server_errors",
    "connection_errors",
    "invalid",
    "repairs",
    "fallbacks",
    "cache_hits",
    "errors",
    "prompt_tokens",
    "completion_tokens",
)
FROM_ROWS = ("requests", "fallbacks", "cache_hits", "errors", "prompt_tokens", "completion_tokens")
USAGE_COLUMNS = ["purpose", *COUNTS, "tokens", "cost", "mean_seconds", "p95_seconds"]


@dataclass(frozen=True, slots=True)
class Session:
    """One process's usage, as the run file keeps it."""

    number: int
    tick: int  # where it began
    after_call: int  # the model_calls ids above this are its (or a later session's)
    usage: dict[str, Any]  # town.llm.meter.Counters.to_json()


@dataclass(frozen=True, slots=True)
class UsageTable:
    table: pd.DataFrame  # USAGE_COLUMNS, one row per purpose and a last one, "all"
    caption: str  # where the figures come from, and at which prices
    sessions: int  # sessions whose meter's figures it holds (0: the calls' rows only)


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
    frame["model"] = frame["model"].fillna("")
    return frame


def sessions(folder: RunFolder) -> list[Session] | None:
    """The usage the run file keeps, by session; None for a file older than its table."""
    db = folder.reader()
    try:
        found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage'")
        if found.fetchone() is None:
            return None
        rows = db.execute("SELECT session, tick, after_call, usage FROM usage ORDER BY session")
        return [Session(n, t, a, json.loads(u)) for n, t, a, u in rows.fetchall()]
    finally:
        db.close()


def usage_by_purpose(folder: RunFolder, prices: Path | None = None) -> UsageTable:
    """The run's usage by purpose: its sessions' figures, at the run's own prices, or priced
    again with the table in `prices`; calls recorded before any session kept its usage
    counted from their rows."""
    frame = calls(folder)
    kept = sessions(folder) or []
    repriced = Prices.load(prices) if prices is not None else None
    own = {m: Price(*p) for s in kept for m, p in s.usage.get("prices", {}).items()}
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0) | {"cost": 0.0})
    paid = 0.0  # at the run's own prices
    for session in kept:
        for purpose, usage in session.usage["purposes"].items():
            for name in COUNTS:
                rows[purpose][name] += usage.get(name, 0)
            paid += usage["cost"]
            if repriced is None:
                rows[purpose]["cost"] += usage["cost"]
        for purpose, model, prompt, completion in session.usage["tokens"] if repriced else ():
            rows[purpose]["cost"] += repriced.cost(model, prompt, completion)
    # Calls that no session's figures hold: the whole run, in a file older than the table.
    covered = min((s.after_call for s in kept), default=None)
    before = frame if covered is None else frame[frame.id <= covered]
    at_own = Prices(own)  # the run's own prices where it kept them, else the built-in ones
    for purpose, group in before.groupby("purpose"):
        row = rows[purpose]
        row["requests"] += len(group)
        row["fallbacks"] += int(group.fallback.sum())
        row["cache_hits"] += int(group.cached.sum())
        row["errors"] += int((group.error & ~group.fallback).sum())
        row["prompt_tokens"] += int(group.prompt_tokens.sum())
        row["completion_tokens"] += int(group.completion_tokens.sum())
        tokens = list(zip(group.model, group.prompt_tokens, group.completion_tokens, strict=True))
        own_cost = sum(at_own.cost(*t) for t in tokens)
        row["cost"] += own_cost if repriced is None else sum(repriced.cost(*t) for t in tokens)
        paid += own_cost
    if not rows:
        return UsageTable(pd.DataFrame(columns=USAGE_COLUMNS), "", len(kept))
    total = {name: sum(r[name] for r in rows.values()) for name in [*COUNTS, "cost"]}
    records = [
        {"purpose": purpose, **row, **_latency(frame[frame.purpose == purpose])}
        for purpose, row in sorted(rows.items())
    ]
    table = pd.DataFrame([*records, {"purpose": "all", **total, **_latency(frame)}])
    table["tokens"] = table.prompt_tokens + table.completion_tokens
    if not kept:  # the calls' rows do not tell these
        for name in set(COUNTS) - set(FROM_ROWS):
            table[name] = pd.NA
    caption = _caption(kept, len(before), own, prices, paid)
    return UsageTable(table[USAGE_COLUMNS], caption, len(kept))


def _latency(group: pd.DataFrame) -> dict[str, float]:
    """Mean and 95th percentile of the seconds the recorded calls took to answer."""
    if group.empty:
        return {"mean_seconds": float("nan"), "p95_seconds": float("nan")}
    seconds = group.seconds
    return {"mean_seconds": float(seconds.mean()), "p95_seconds": float(seconds.quantile(0.95))}


def _caption(
    kept: list[Session], before: int, own: dict[str, Price], prices: Path | None, paid: float
) -> str:
    listed = ", ".join(f"{m} ${p.input:g} / ${p.output:g}" for m, p in sorted(own.items()) if m)
    rates = f" ({listed} per million tokens in / out)" if listed else ""
    if not kept:
        return (
            "This run file keeps no usage of its own (it is older than that): the figures are "
            "its recorded calls', without retries, timeouts, 429s, repairs or the tokens of "
            "answers thrown away. Cost at "
            + (f"the prices of {prices}." if prices else "the built-in prices (see --prices).")
        )
    where = [
        "As the run's meter counted it"
        + (f", summed over the {len(kept)} sessions that wrote it" if len(kept) > 1 else "")
        + ": every attempt, retry, timeout, 429 and repair, and the tokens of answers thrown "
        "away."
    ]
    if before:
        where.append(
            f"Its first {before} calls were recorded before usage was kept: those add only what "
            "their rows say (requests, fallbacks, the tokens of the answers used)."
        )
    if prices is not None:
        where.append(
            f"Cost priced again with {prices}, on request; at the run's own prices{rates} it "
            f"was ${paid:.4f}."
        )
    else:
        where.append(f"Cost as the run paid it, at its own prices{rates}.")
    return " ".join(where)
