"""Text and emoji as pygame surfaces, found once and cached: a frame re-renders nothing it drew
before.

Labels use DejaVu Sans (Debian's fonts-dejavu-core), else pygame's bundled font. Emoji come
from Noto Color Emoji (fonts-noto-color-emoji): a bitmap font whose glyphs exist at one size
only (109 px), so they are rendered at that size and scaled down, once per size.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pygame

Color = tuple[int, int, int] | tuple[int, int, int, int]

REGULAR = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)
BOLD = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/Library/Fonts/DejaVuSans-Bold.ttf",
)
EMOJI = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
)
EMOJI_STRIKE = 109  # the one size of Noto Color Emoji's bitmaps
CACHE_SIZE = 4096  # rendered strings kept; a frame of 100 agents uses a few hundred
EMOJI_PER_FRAME = 1  # new emoji drawn in one frame (each takes ~10 ms from the bitmap font)


def find_font(paths: tuple[str, ...], family: str, bold: bool = False) -> str | None:
    for path in paths:
        if Path(path).is_file():
            return path
    try:
        return pygame.font.match_font(family, bold=bold)
    except Exception:  # fontconfig missing or broken: use pygame's own font
        return None


class Text:
    def __init__(self) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.regular_path = find_font(REGULAR, "dejavusans")
        self.bold_path = find_font(BOLD, "dejavusans", bold=True) or self.regular_path
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self._rendered: OrderedDict[tuple[object, ...], pygame.Surface] = OrderedDict()
        self._emoji: dict[tuple[str, int], pygame.Surface | None] = {}
        self._wrapped: OrderedDict[tuple[object, ...], list[str]] = OrderedDict()
        self._emoji_budget = EMOJI_PER_FRAME
        emoji_path = find_font(EMOJI, "notocoloremoji")
        self._emoji_font: pygame.font.Font | None = None
        if emoji_path is not None:
            try:
                self._emoji_font = pygame.font.Font(emoji_path, EMOJI_STRIKE)
            except (OSError, pygame.error):
                self._emoji_font = None

    def prepare(self, sizes: tuple[int, ...] = (10, 11, 12, 13, 14, 15, 16, 18)) -> None:
        """Open the fonts now rather than in the middle of a frame."""
        for size in sizes:
            self.font(size)
            self.font(size, bold=True)

    @property
    def has_color_emoji(self) -> bool:
        return self._emoji_font is not None

    def font(self, size: int, bold: bool = False) -> pygame.font.Font:
        key = (size, bold)
        if key not in self._fonts:
            path = self.bold_path if bold else self.regular_path
            font = pygame.font.Font(path, size)  # path None: pygame's bundled font
            if bold and path == self.regular_path:
                font.set_bold(True)
            self._fonts[key] = font
        return self._fonts[key]

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        key = (text, size, color, bold)
        surface = self._rendered.get(key)
        if surface is None:
            surface = self.font(size, bold).render(text, True, color)
            self._rendered[key] = surface
            if len(self._rendered) > CACHE_SIZE:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        return surface

    def width(self, text: str, size: int, bold: bool = False) -> int:
        return self.font(size, bold).size(text)[0]

    def line_height(self, size: int, bold: bool = False) -> int:
        return self.font(size, bold).get_linesize()

    def wrap(
        self, text: str, size: int, width: int, bold: bool = False, max_lines: int | None = None
    ) -> list[str]:
        """Words into lines no wider than `width`; a word too long for a line is cut; past
        `max_lines`, the last line ends with an ellipsis. Cached: the panel wraps the same
        memories again each time it is laid out."""
        key = (text, size, width, bold, max_lines)
        lines = self._wrapped.get(key)
        if lines is None:
            lines = self._wrap(text, size, width, bold, max_lines)
            self._wrapped[key] = lines
            if len(self._wrapped) > CACHE_SIZE:
                self._wrapped.popitem(last=False)
        return list(lines)

    def _wrap(
        self, text: str, size: int, width: int, bold: bool, max_lines: int | None
    ) -> list[str]:
        font = self.font(size, bold)
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            line = ""
            for word in paragraph.split():
                candidate = f"{line} {word}" if line else word
                if font.size(candidate)[0] <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while font.size(word)[0] > width and len(word) > 1:
                    cut = _fit(font, word, width)
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = self.clip(lines[-1] + " …", size, width, bold)
        return lines

    def clip(self, text: str, size: int, width: int, bold: bool = False) -> str:
        """The text, shortened with an ellipsis to fit `width`."""
        font = self.font(size, bold)
        if font.size(text)[0] <= width:
            return text
        while text and font.size(text + "…")[0] > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def new_frame(self) -> None:
        self._emoji_budget = EMOJI_PER_FRAME

    def emoji(self, text: str, px: int, wait: bool = True) -> pygame.Surface | None:
        """The emoji `px` pixels tall, in colour; None if no font has it, or if this frame
        has drawn its share of new emoji and `wait` (a new one costs ~10 ms: the others
        wait for the next frames)."""
        key = (text, px)
        if key not in self._emoji:
            if self._emoji_budget <= 0 and wait:
                return None
            self._emoji_budget -= 1
            self._emoji[key] = self._draw_emoji(text, px)
        return self._emoji[key]

    def _draw_emoji(self, text: str, px: int) -> pygame.Surface | None:
        text = text.strip()
        if not text or px < 4:
            return None
        glyph = None
        if self._emoji_font is not None:
            glyph = self._emoji_font.render(text, True, (0, 0, 0))
            if glyph.get_bounding_rect().width == 0:  # not in the font: an empty glyph
                glyph = None
        if glyph is None:
            # A monochrome glyph from the label font, when it has one (DejaVu has many).
            glyph = self.font(EMOJI_STRIKE // 2).render(text[0], True, (60, 60, 60))
            if glyph.get_bounding_rect().width == 0:
                return None
        box = glyph.get_bounding_rect()
        glyph = glyph.subsurface(box)
        scale = px / max(box.width, box.height)
        size = (max(1, round(box.width * scale)), max(1, round(box.height * scale)))
        if pygame.display.get_surface() is not None:  # faster blits in the window's format
            glyph = glyph.convert_alpha()
        return pygame.transform.smoothscale(glyph, size)


def _fit(font: pygame.font.Font, word: str, width: int) -> int:
    """How many leading characters of `word` fit in `width` (at least one)."""
    cut = len(word)
    while cut > 1 and font.size(word[:cut])[0] > width:
        cut -= 1
    return cut
