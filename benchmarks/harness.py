"""Shared plumbing for benchmarks: timing helpers and the RESULTS.md writer.

Each benchmark module publishes one section of benchmarks/RESULTS.md, between markers, so that
running one benchmark rewrites its own figures and leaves the others as they were.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (all benchmarks) or `python -m benchmarks.<name>` (one). "
    "Each section gives the command that produced it, the machine and the date. "
    "Ratios are measured within one run; the machine is shared and noisy.\n"
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy does it."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary_ms(samples_s: Sequence[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return (
        f"p50 {percentile(ms, 50):.3f} ms, p99 {percentile(ms, 99):.3f} ms, "
        f"mean {statistics.fmean(ms):.3f} ms (n={len(ms)})"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name: str, title: str, body: str, command: str | None = None) -> None:
    """Replace (or append) the section `name` of RESULTS.md and echo it to stdout."""
    command = command or f"python -m benchmarks.{name}"
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = (
        f"<!-- begin {name} -->\n## {title}\n\n"
        f"Command: `{command}`  \nMachine: {machine()}  \nDate: {stamp}\n\n"
        f"{body.strip()}\n<!-- end {name} -->"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(
        rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    sys.stdout.write(section + "\n")
