"""The report's pictures, drawn with matplotlib's Agg backend (no display needed): each
function takes the measured tables and writes one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: reports are written headless, in batch runs too

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd

from town.clock import Clock

COLOURS = {
    "sleep": "#9aa5b1",
    "meal": "#f4a261",
    "work": "#2a9d8f",
    "leisure": "#8ab17d",
    "party": "#e76f51",
    "other": "#d9d9d9",
    "talk": "#264653",
}
DPI = 110


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _game_time(fig: plt.Figure, ax: plt.Axes) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %H:%M"))
    fig.autofmt_xdate()


def relationship_graph(graph: nx.DiGraph, path: Path, title: str) -> Path:
    """Everyone on one circle in name order, so the start and end pictures compare."""
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    nodes = sorted(graph.nodes)
    positions = nx.circular_layout(nodes)
    degree = dict(graph.degree())
    nx.draw_networkx_edges(
        graph, positions, ax=ax, alpha=0.35, arrows=True, arrowsize=8, edge_color="#555"
    )
    nx.draw_networkx_nodes(
        graph,
        positions,
        nodelist=nodes,
        ax=ax,
        node_size=[150 + 8 * degree.get(n, 0) for n in nodes],
        node_color="#2a9d8f",
    )
    labels = {n: n.split()[0] for n in nodes}
    nx.draw_networkx_labels(graph, positions, labels, ax=ax, font_size=8)
    ax.set_title(f"{title}: density {graph.graph.get('density', 0.0):.3f}")
    ax.axis("off")
    return _save(fig, path)


def density(frame: pd.DataFrame, path: Path, paper: tuple[float, float] | None) -> Path:
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(frame.time, frame.density, marker=".", label="this run")
    if paper is not None and len(frame):
        ax.scatter(
            [frame.time.iloc[0], frame.time.iloc[-1]],
            paper,
            marker="x",
            color="#e76f51",
            label="paper (start, end of two days)",
            zorder=3,
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("network density")
    ax.set_title("Who knows whom: density of the relationship network")
    ax.legend(loc="upper left")
    _game_time(fig, ax)
    return _save(fig, path)


def spread(
    curve: pd.DataFrame,
    interviews: pd.DataFrame,
    path: Path,
    paper: dict[str, tuple[float, float]],
) -> Path:
    """Each fact's share of aware agents: a step line from memories, dots from interviews."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (fact, group) in enumerate(curve.groupby("fact", sort=False)):
        colour = colours[i % len(colours)]
        ax.step(group.time, group.share, where="post", color=colour, label=f"{fact} (memories)")
        asked = interviews[interviews.fact == fact]
        if len(asked):
            ax.plot(
                asked.time, asked.share, "o", color=colour, label=f"{fact} (interviews, judged)"
            )
        if fact in paper and len(group):
            ax.scatter(
                [group.time.iloc[0], group.time.iloc[-1]],
                paper[fact],
                marker="x",
                color=colour,
                label=f"{fact} (paper)",
                zorder=3,
            )
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of agents aware")
    ax.set_title("How the tracked facts spread")
    ax.legend(loc="upper left", fontsize=8)
    _game_time(fig, ax)
    return _save(fig, path)


def timeline(
    spans: pd.DataFrame,
    talks: pd.DataFrame,
    agents: Sequence[str],
    clock: Clock,
    end: int,
    path: Path,
    events: Sequence[tuple[str, int, int]] = (),
) -> Path:
    """One row per agent: its activities coloured by kind, its conversations in dark marks;
    the tracked events (name, first tick, last tick) as shaded bands."""
    hours = clock.ticks_per_hour
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(agents) + 1.5))
    for row, agent in enumerate(agents):
        mine = spans[spans.agent == agent]
        for category, group in mine.groupby("category"):
            bars = [
                (s / hours, (e - s) / hours) for s, e in zip(group.start, group.end, strict=True)
            ]
            ax.broken_barh(bars, (row - 0.4, 0.8), color=COLOURS.get(category, "#d9d9d9"))
        said = talks[talks.agent == agent]
        if len(said):
            bars = [(s / hours, (e - s) / hours) for s, e in zip(said.start, said.end, strict=True)]
            ax.broken_barh(bars, (row - 0.15, 0.3), color=COLOURS["talk"])
    for name, first, last in events:
        ax.axvspan(first / hours, last / hours, color=COLOURS["party"], alpha=0.15, lw=0)
        ax.text(first / hours, -0.9, name, fontsize=7, color=COLOURS["party"])
    ax.set_yticks(range(len(agents)), [a.split()[0] for a in agents], fontsize=8)
    ax.invert_yaxis()
    span = max(end / hours, 1 / 60)
    step = next((h for h in (1, 2, 3, 6, 12, 24) if span / h <= 12), 48)
    marks = [h for h in range(0, int(span) + 1, step)]
    ax.set_xticks(marks, [f"{clock.at(h * hours):%a %H:%M}" for h in marks], fontsize=8)
    ax.set_xlim(0, span)
    ax.set_xlabel(f"game time (from {clock.start:%Y-%m-%d %H:%M})")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    ax.legend(
        handles,
        list(COLOURS),
        ncol=len(COLOURS),
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 if len(agents) > 5 else -0.3),
    )
    ax.set_title("What each agent did")
    return _save(fig, path)


def usage(table: pd.DataFrame, path: Path) -> Path:
    """Requests, tokens, mean latency and fallbacks by purpose."""
    rows = table[table.purpose != "all"]
    panels = (
        ("requests", "requests"),
        ("tokens", "tokens"),
        ("mean_seconds", "mean latency (s)"),
        ("fallbacks", "fallbacks"),
    )
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 3.4), sharey=True)
    for ax, (column, label) in zip(axes, panels, strict=True):
        ax.barh(rows.purpose, rows[column], color="#2a9d8f")
        ax.set_title(label)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle("Model usage by purpose")
    return _save(fig, path)
