"""Every committed asset is what the generator in assets/generate draws today."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.generate.__main__ import generate
from tests.support import ROOT


@pytest.mark.slow
def test_the_generator_reproduces_the_committed_assets(tmp_path: Path) -> None:
    assert generate(tmp_path) == 0
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(made) > 40
    for name in made:
        committed = ROOT / "assets" / name
        assert committed.is_file(), f"{name} is generated but not committed"
        assert (tmp_path / name).read_bytes() == committed.read_bytes(), (
            f"assets/{name} differs from what `make assets` draws: regenerate and commit it"
        )
