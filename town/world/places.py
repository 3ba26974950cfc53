"""Addresses in the place tree: world > sector > arena > object, written 'w:s:a:o'."""

from __future__ import annotations

SEP = ":"


def join(*parts: str | None) -> str:
    return SEP.join(p for p in parts if p)


def split(address: str) -> list[str]:
    return address.split(SEP)


def parent(address: str) -> str:
    return address.rsplit(SEP, 1)[0]


def last(address: str) -> str:
    return address.rsplit(SEP, 1)[-1]


def depth(address: str) -> int:
    """1 world, 2 sector, 3 arena, 4 object."""
    return address.count(SEP) + 1
