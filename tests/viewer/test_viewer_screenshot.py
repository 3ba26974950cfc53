"""The README's picture: the command makes a PNG of the busy town, small enough to commit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame
import pytest

from tests.viewer.viewing import count_color, pixels
from town.viewer import screenshot
from town.viewer.render import BUBBLE_BG


@pytest.mark.slow
def test_the_screenshot_command(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "town.png"
    assert screenshot.main([str(out)]) == 0
    assert 20_000 < out.stat().st_size < screenshot.MAX_SIZE
    picture = pygame.image.load(str(out))
    assert picture.get_size() == (1280, 800)
    rgb = pixels(picture)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50  # a picture, not a blank
    assert count_color(picture, picture.get_rect(), BUBBLE_BG) > 400  # someone is talking
