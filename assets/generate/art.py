"""Procedural pixel art for the town: every tile and every character sprite, drawn in code.

Nothing here reads an image file, so `make assets` can regenerate all art from the repository.
Shapes are boolean numpy masks on a 32x32 grid, painted onto an RGBA `Canvas`; each solid part
gets a 1-px line around it, lit top-left and shaded bottom-right. All randomness is seeded
from sha256 of a name (never Python's `hash()`, which is salted per process), so every call
returns byte-identical images.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TILE = 32  # pixels

RGBA = tuple[int, int, int, int]
Mask = np.ndarray  # bool, shape (TILE, TILE)

# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------


def hexc(code: str, alpha: int = 255) -> RGBA:
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16), alpha)


def mix(a: RGBA, b: RGBA, t: float) -> RGBA:
    """Blend a towards b by t; alpha is a's."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
        a[3],
    )


# Shadows lean to plum and lights to warm cream rather than to black and white: hue-shifted
# shading is what keeps a small palette from looking muddy.
_SHADE_TO = hexc("2a1f3d")
_LIGHT_TO = hexc("fff6da")


def darker(c: RGBA, t: float = 0.25) -> RGBA:
    return mix(c, _SHADE_TO, t)


def lighter(c: RGBA, t: float = 0.25) -> RGBA:
    return mix(c, _LIGHT_TO, t)


OUTLINE = hexc("2b2233")
SHADOW = hexc("1e1428", 70)
CLEAR: RGBA = (0, 0, 0, 0)

WHITE = hexc("f4f2ec")
PORCELAIN = hexc("eef3f6")
STEEL = hexc("b9c2cc")
STEEL_DARK = hexc("7d8796")
CHROME = hexc("dfe6ee")
BLACK = hexc("3a3442")
PAPER = hexc("fbf7ea")
GLASS = hexc("9fd3ef")
WOOD_LIGHT = hexc("dcae76")
WOOD = hexc("bd8755")
WOOD_DARK = hexc("8c5b3c")
WOOD_DEEP = hexc("5e3b2c")
LEAF_LIGHT = hexc("a6dc78")
LEAF = hexc("6fbd5c")
LEAF_DARK = hexc("3f8f4f")
LEAF_DEEP = hexc("2c6648")
SOIL = hexc("8a5a3c")
SOIL_DARK = hexc("6a4230")
STONE_LIGHT = hexc("d9d9de")
STONE = hexc("b2b4be")
STONE_DARK = hexc("878a9a")
WATER = hexc("5ea9dc")
WATER_DEEP = hexc("4a8fcb")
WATER_LIGHT = hexc("8fcbef")
FOAM = hexc("e4f5fc")
RED = hexc("e05a5a")
ORANGE = hexc("f0984a")
YELLOW = hexc("f6d45c")
GREEN = hexc("74c46a")
BLUE = hexc("5b8ee0")
PURPLE = hexc("a37ad0")
PINK = hexc("f29ab8")
GOLD = hexc("e8c04c")
BRICK = hexc("c4785e")
MORTAR = hexc("8c5a4c")

# --------------------------------------------------------------------------------------------
# Masks
# --------------------------------------------------------------------------------------------

# Pixel-index grids: _gx[y, x] == x and _gy[y, x] == y; every mask is built from them.
_gy, _gx = np.mgrid[0:TILE, 0:TILE]


def rect(x: int, y: int, w: int, h: int) -> Mask:
    return (_gx >= x) & (_gx < x + w) & (_gy >= y) & (_gy < y + h)


def oval(cx: float, cy: float, rx: float, ry: float, power: float = 2.0) -> Mask:
    """Ellipse over pixel centres; a power above 2 squares it off (a superellipse)."""
    dx = np.abs(_gx + 0.5 - cx) / rx
    dy = np.abs(_gy + 0.5 - cy) / ry
    return dx**power + dy**power <= 1.0


def rounded(x: int, y: int, w: int, h: int, r: int = 1) -> Mask:
    """A rectangle with its corners cut in an r-pixel staircase."""
    m = rect(x, y, w, h)
    dx = np.minimum(_gx - x, x + w - 1 - _gx)
    dy = np.minimum(_gy - y, y + h - 1 - _gy)
    return m & ~((dx + dy < r) & (dx < r) & (dy < r))


def polygon(points: Sequence[tuple[float, float]]) -> Mask:
    img = Image.new("1", (TILE, TILE), 0)
    ImageDraw.Draw(img).polygon(list(points), fill=1, outline=1)
    return np.array(img, dtype=bool)


def segment(x0: int, y0: int, x1: int, y1: int) -> Mask:
    img = Image.new("1", (TILE, TILE), 0)
    ImageDraw.Draw(img).line([(x0, y0), (x1, y1)], fill=1)
    return np.array(img, dtype=bool)


def pixels(points: Sequence[tuple[int, int]]) -> Mask:
    m = np.zeros((TILE, TILE), dtype=bool)
    for x, y in points:
        if 0 <= x < TILE and 0 <= y < TILE:
            m[y, x] = True
    return m


def shifted(mask: Mask, dx: int, dy: int, outside: bool = False) -> Mask:
    """The mask's value at (x + dx, y + dy) for every pixel; `outside` beyond the edge."""
    h, w = mask.shape
    padded = np.pad(mask, 1, constant_values=outside)
    return padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]


def moved(mask: Mask, dx: int, dy: int) -> Mask:
    """The mask translated by (dx, dy)."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    src = mask[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    out[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return out


def dilate(mask: Mask) -> Mask:
    """Grow by one pixel in the four directions: corners stay open, which reads as rounded."""
    return (
        mask
        | shifted(mask, 1, 0)
        | shifted(mask, -1, 0)
        | shifted(mask, 0, 1)
        | shifted(mask, 0, -1)
    )


def rim(mask: Mask, dx: int, dy: int) -> Mask:
    """Pixels of the mask whose neighbour at (dx, dy) is outside it. Beyond the tile counts as
    inside, so pieces that continue into the next tile get no rim at the tile border."""
    return mask & ~shifted(mask, dx, dy, outside=True)


# --------------------------------------------------------------------------------------------
# Canvas
# --------------------------------------------------------------------------------------------


class Canvas:
    """A 32x32 RGBA pixel grid painted with masks."""

    def __init__(self, fill: RGBA | None = None) -> None:
        self.px = np.zeros((TILE, TILE, 4), dtype=np.uint8)
        if fill is not None:
            self.px[:] = fill

    def paint(self, mask: Mask, color: RGBA) -> None:
        self.px[mask] = color

    def dot(self, x: int, y: int, color: RGBA) -> None:
        if 0 <= x < TILE and 0 <= y < TILE:
            self.px[y, x] = color

    def part(
        self,
        mask: Mask,
        color: RGBA,
        line: RGBA | None = OUTLINE,
        hi: RGBA | None = None,
        lo: RGBA | None = None,
    ) -> None:
        """A solid shape: line around it, lit top-left (hi), shaded bottom-right (lo)."""
        if line is not None:
            self.paint(dilate(mask) & ~mask, line)
        self.paint(mask, color)
        if lo is not None:
            self.paint(rim(mask, 0, 1) | rim(mask, 1, 0), lo)
        if hi is not None:
            self.paint((rim(mask, 0, -1) | rim(mask, -1, 0)) & ~rim(mask, 0, 1), hi)

    def solid(self, mask: Mask, color: RGBA, line: RGBA | None = OUTLINE) -> None:
        """`part` with the usual light and shade derived from the colour."""
        self.part(mask, color, line, hi=lighter(color, 0.3), lo=darker(color, 0.22))

    def blend(self, mask: Mask, color: RGBA) -> None:
        """Composite a translucent colour over what is there (shadows, glows, glass)."""
        src_a = color[3] / 255.0
        dst = self.px[mask].astype(np.float64)
        dst_a = dst[:, 3:4] / 255.0
        out_a = src_a + dst_a * (1.0 - src_a)
        rgb = np.array(color[:3], dtype=np.float64)
        safe = np.where(out_a > 0, out_a, 1.0)
        out_rgb = (rgb * src_a + dst[:, :3] * dst_a * (1.0 - src_a)) / safe
        self.px[mask] = np.concatenate([out_rgb, out_a * 255.0], axis=1).round().astype(np.uint8)

    def shadow(self, mask: Mask, color: RGBA = SHADOW) -> None:
        self.blend(mask, color)

    def opaque(self) -> Mask:
        return self.px[..., 3] == 255

    def outline_outside(self, color: RGBA = OUTLINE) -> None:
        """Ring the opaque silhouette with a line on the pixels just outside it."""
        body = self.opaque()
        self.paint(dilate(body) & ~body, color)

    def image(self) -> Image.Image:
        return Image.fromarray(self.px, "RGBA")


# --------------------------------------------------------------------------------------------
# Seeds, noise and dithering
# --------------------------------------------------------------------------------------------


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(_seed(*parts))


_BAYER4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) / 16.0 + 1 / 32
_BAYER = np.tile(_BAYER4, (TILE // 4, TILE // 4))  # period 4 divides 32, so it tiles


def value_noise(family: str, variant: str, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1] that wraps around the tile.

    The lattice row and column on the tile border come from `family` alone and the inner ones
    from `variant`, so every variant of a family meets every other without a seam."""
    grid = _rng(family, variant, str(cells)).random((cells, cells))
    border = _rng(family, "border", str(cells)).random((2, cells))
    grid[0, :] = border[0]
    grid[:, 0] = border[1]
    pos = np.arange(TILE) * cells / TILE  # pixel 0 sits exactly on lattice line 0
    i0 = pos.astype(int)
    i1 = (i0 + 1) % cells
    f = pos - i0
    f = f * f * (3 - 2 * f)
    rows0 = grid[i0][:, i0] * (1 - f)[None, :] + grid[i0][:, i1] * f[None, :]
    rows1 = grid[i1][:, i0] * (1 - f)[None, :] + grid[i1][:, i1] * f[None, :]
    return rows0 * (1 - f)[:, None] + rows1 * f[:, None]


def dithered(values: np.ndarray, palette: Sequence[RGBA], spread: float = 0.5) -> np.ndarray:
    """Quantise values in [0, 1] to the palette (dark to light) with ordered dithering."""
    levels = len(palette)
    noisy = values + (_BAYER - 0.5) * spread / levels
    index = np.clip((noisy * levels).astype(int), 0, levels - 1)
    return np.array(palette, dtype=np.uint8)[index]


def _ground(family: str, variant: str, palette: Sequence[RGBA], contrast: float = 1.6) -> Canvas:
    """An opaque tile of soft dithered patches; variants of one family tile with each other."""
    v = 0.65 * value_noise(family, variant, 4) + 0.35 * value_noise(family, variant, 8)
    v = np.clip((v - 0.5) * contrast + 0.5, 0, 1)
    c = Canvas()
    c.px[:] = dithered(v, palette)
    return c


def _spots(
    rng: np.random.Generator, count: int, lo: int = 3, hi: int = 28, gap: int = 5
) -> list[tuple[int, int]]:
    """Scattered points at least `gap` apart (Manhattan), inside [lo, hi] so details never
    straddle a tile edge (that would cut them in half next to a different tile)."""
    points: list[tuple[int, int]] = []
    for _ in range(count * 40):
        if len(points) == count:
            break
        x, y = (int(v) for v in rng.integers(lo, hi + 1, size=2))
        if all(abs(x - px) + abs(y - py) >= gap for px, py in points):
            points.append((x, y))
    return points


def _speckle(c: Canvas, rng: np.random.Generator, chance: float, color: RGBA) -> None:
    c.paint(rng.random((TILE, TILE)) < chance, color)


def _paint_lit(
    c: Canvas, mask: Mask, palette: Sequence[RGBA], cx: float, cy: float, r: float
) -> None:
    """Colour a rounded body of radius r around (cx, cy) as if lit from the top-left, with
    the palette (dark to light) dithered across it."""
    light = 0.55 - ((_gx + 0.5 - cx) * 0.55 + (_gy + 0.5 - cy) * 0.85) / (2.2 * r)
    c.px[mask] = dithered(np.clip(light, 0, 1), palette, spread=0.9)[mask]


# --------------------------------------------------------------------------------------------
# Ground tiles (opaque)
# --------------------------------------------------------------------------------------------

GRASS = (hexc("5da35a"), hexc("6cb562"), hexc("79c26a"), hexc("8bcd73"))


def _grass(variant: str, tufts: int, extras: int = 0) -> Canvas:
    c = _ground("grass", variant, GRASS, contrast=1.1)
    rng = _rng("grass-tufts", variant)
    for x, y in _spots(rng, tufts + extras, gap=6):
        if extras and rng.random() < extras / (tufts + extras):
            # a pebble or a clover: variety that stays quiet on a big lawn
            c.dot(x, y, hexc("a7d98a"))
            c.dot(x + 1, y, hexc("a7d98a"))
            c.dot(x, y + 1, GRASS[0])
            c.dot(x + 1, y + 1, GRASS[0])
        else:
            _tuft(c, x, y)
    return c


def _tuft(c: Canvas, x: int, y: int) -> None:
    """Two blades of grass: dark roots, a light tip."""
    for px, py in ((x, y), (x, y + 1), (x + 2, y + 1), (x + 1, y + 2)):
        c.dot(px, py, GRASS[0])
    c.dot(x, y - 1, hexc("a3d985"))
    c.dot(x + 2, y, hexc("a3d985"))


def _flowers() -> Canvas:
    c = _grass("flowers", tufts=3)
    rng = _rng("flowers")
    petals = (WHITE, PINK, YELLOW, hexc("c7a6ee"), hexc("f4b183"))
    for x, y in _spots(rng, 7, gap=7):
        petal = petals[int(rng.integers(len(petals)))]
        c.dot(x, y + 2, GRASS[0])  # stem shadow
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            c.dot(x + dx, y + dy, petal)
        c.dot(x, y, YELLOW if petal != YELLOW else ORANGE)
    return c


def _dirt() -> Canvas:
    c = _ground("dirt", "dirt", (hexc("b48558"), hexc("c49466"), hexc("d0a475"), hexc("dbb386")))
    rng = _rng("dirt-stones")
    for x, y in _spots(rng, 6, gap=6):
        c.dot(x, y, hexc("e6c69c"))
        c.dot(x + 1, y, hexc("e6c69c"))
        c.dot(x, y + 1, hexc("9a6d47"))
        c.dot(x + 1, y + 1, hexc("9a6d47"))
    return c


ASPHALT = (hexc("555866"), hexc("5d606e"), hexc("646776"))


def _road() -> Canvas:
    c = _ground("road", "road", ASPHALT, contrast=1.2)
    rng = _rng("road-grit")
    _speckle(c, rng, 0.05, hexc("72768a"))
    _speckle(c, rng, 0.04, hexc("4b4d5a"))
    return c


def _road_line(horizontal: bool) -> Canvas:
    c = _road()
    # a 24 px dash and an 8 px gap that spans the tile seam: dashes continue across tiles
    dash = rect(4, 15, 24, 2) if horizontal else rect(15, 4, 2, 24)
    c.paint(dash, hexc("f3e3a0"))
    c.paint(dash & (_rng("line").random((TILE, TILE)) < 0.12), hexc("d8c98c"))
    return c


def _crosswalk() -> Canvas:
    c = _road()
    stripes = (_gx % 8 >= 2) & (_gx % 8 < 6)  # period 8 divides 32: stripes line up
    c.paint(stripes, hexc("eeeef0"))
    c.paint(stripes & (_rng("crosswalk").random((TILE, TILE)) < 0.08), hexc("c9cad2"))
    return c


def _slabs(size: int, base: RGBA, grout: RGBA, family: str, jitter: float = 0.05) -> Canvas:
    """Square paving of `size` px slabs (size divides 32), each a slightly different shade."""
    c = Canvas()
    rng = _rng(family, "slabs")
    for sy in range(0, TILE, size):
        for sx in range(0, TILE, size):
            t = float(rng.uniform(-1, 1)) * jitter
            tone = lighter(base, t) if t > 0 else darker(base, -t)
            slab = rect(sx + 1, sy + 1, size - 1, size - 1)
            c.part(slab, tone, line=None, hi=lighter(tone, 0.3), lo=darker(tone, 0.12))
    grout_lines = (_gx % size == 0) | (_gy % size == 0)
    c.paint(grout_lines, grout)
    return c


def _sidewalk() -> Canvas:
    c = _slabs(16, hexc("d3d3d0"), hexc("a9aaae"), "sidewalk")
    _speckle(c, _rng("sidewalk-grit"), 0.04, hexc("bdbec0"))
    return c


def _plaza() -> Canvas:
    """Small warm pavers in offset rows: finer and lighter than the wall's big bricks."""
    c = Canvas(hexc("c7a17d"))
    rng = _rng("plaza")
    tones = (hexc("ecd3b0"), hexc("e6c6a0"), hexc("f0dbbf"), hexc("e2bf98"))
    for row in range(4):
        off = 4 * (row % 2)
        for col in range(5):
            x = col * 8 - 8 + off
            tone = tones[int(rng.integers(len(tones)))]
            stone = rect(x + 1, row * 8 + 1, 7, 7)
            c.part(stone, tone, line=None, hi=lighter(tone, 0.35), lo=darker(tone, 0.1))
    return c


def _sand() -> Canvas:
    c = _ground("sand", "sand", (hexc("e4cb8e"), hexc("ead49b"), hexc("f0dca8"), hexc("f5e4b6")))
    rng = _rng("sand-grains")
    _speckle(c, rng, 0.03, hexc("cfb377"))
    _speckle(c, rng, 0.02, hexc("fbf0cf"))
    return c


def _water(variant: str) -> Canvas:
    c = _ground("water", variant, (WATER_DEEP, hexc("54a0d6"), WATER, hexc("6db5e3")), 1.4)
    rng = _rng("waves", variant)
    for x, y in _spots(rng, 5, lo=3, hi=27, gap=8):
        # a small wave crest: a light arc with foam on its top
        for px, py in ((x, y + 1), (x + 1, y), (x + 2, y), (x + 3, y + 1)):
            c.dot(px, py, WATER_LIGHT)
        c.dot(x + 1, y, FOAM)
    return c


def _planks(palette: Sequence[RGBA], family: str) -> Canvas:
    """Floorboards: four rows of 8 px planks, joints staggered, a little grain."""
    base, light, dark, gap = palette
    c = Canvas(base)
    rng = _rng(family, "planks")
    for row in range(4):
        y = row * 8
        joint = (row * 13 + 5) % 32
        for start in (joint + 1, joint - 31):
            tone = (base, light, mix(base, dark, 0.3))[int(rng.integers(3))]
            c.paint(rect(start, y, 31, 7) | rect(start + 32, y, 31, 7), tone)
        c.paint(rect(joint, y, 1, 7), gap)
        c.paint(rect(0, y + 7, TILE, 1), gap)
        c.paint(rect(0, y, TILE, 1) & ~rect(joint, y, 1, 1), lighter(base, 0.15))
        gx, gy = int(rng.integers(0, 24)), y + int(rng.integers(2, 6))  # a grain streak
        c.paint(
            rect(gx, gy, int(rng.integers(5, 10)), 1) & ~rect(joint - 1, y, 3, 8),
            mix(base, dark, 0.6),
        )
    return c


def _floor_tile() -> Canvas:
    cream, sage = hexc("f3ede0"), hexc("9fbccb")
    checker = ((_gx // 8) + (_gy // 8)) % 2 == 0
    c = Canvas(cream)
    c.paint(checker, sage)
    corner = (_gx % 8 == 1) & (_gy % 8 == 1)
    c.paint(corner & ~checker, WHITE)
    c.paint(corner & checker, lighter(sage, 0.3))
    return c


def _floor_bath() -> Canvas:
    c = Canvas(hexc("d4ebf5"))
    c.paint((_gx % 4 == 0) | (_gy % 4 == 0), hexc("a8cde0"))
    c.paint((_gx % 4 == 1) & (_gy % 4 == 1), hexc("f0fafe"))
    return c


def _carpet(base: RGBA, accent: RGBA) -> Canvas:
    c = Canvas(base)
    diag = (_gx + _gy) % 8
    anti = (_gx - _gy) % 8
    c.paint((diag == 0) | (anti == 0), darker(base, 0.2))  # a diamond lattice, period 8
    c.paint((diag == 4) & (anti == 4), accent)  # a dot in each diamond
    c.paint(
        (_rng("carpet").random((TILE, TILE)) < 0.08) & (diag != 0) & (anti != 0),
        lighter(base, 0.08),
    )
    return c


def _floor_stone() -> Canvas:
    c = _slabs(16, hexc("b3b8c4"), hexc("8f94a3"), "floor-stone", jitter=0.04)
    rng = _rng("floor-stone-veins")
    for x, y in _spots(rng, 4, lo=2, hi=28, gap=8):  # faint marble veins
        c.paint(segment(x, y, x + 3, y + 2) & ~((_gx % 16 == 0) | (_gy % 16 == 0)), hexc("a5aab8"))
    return c


def _bricks(base: RGBA = BRICK, mortar: RGBA = MORTAR) -> Canvas:
    """The top of a wall: big bricks in running bond. Period 32 both ways, no border, so walls
    join each other seamlessly in every direction; each brick is bevelled so it reads raised."""
    c = Canvas(mortar)
    rng = _rng("wall")
    for row in range(4):
        off = 8 * (row % 2)
        for col in range(3):
            x = col * 16 - 16 + off
            t = float(rng.uniform(-0.08, 0.08))
            tone = lighter(base, t) if t > 0 else darker(base, -t)
            brick = rect(x + 1, row * 8, 15, 7) | rect(x + 33, row * 8, 15, 7)
            c.part(brick, tone, line=None, hi=lighter(tone, 0.35), lo=darker(tone, 0.2))
    return c


def _window() -> Canvas:
    c = _bricks()
    frame = hexc("f1ead8")
    c.part(rect(6, 7, 20, 18), frame)
    pane = rect(8, 9, 16, 14)
    c.paint(pane, GLASS)
    c.paint(pane & (((_gx - _gy) % 16 == 0) | ((_gx - _gy) % 16 == 15)), hexc("e6f6fd"))  # glint
    c.paint(rect(15, 9, 2, 14) | rect(8, 15, 16, 2), frame)  # mullions
    c.paint(rect(6, 25, 20, 1), darker(BRICK, 0.45))  # sill shadow
    return c


def _door() -> Canvas:
    """A doorway seen from above: boards between two frame beams with a mat on them. It has
    no wall of its own, so between wall tiles it reads as a gap to walk through."""
    c = _planks((WOOD_LIGHT, lighter(WOOD_LIGHT, 0.2), WOOD, WOOD_DARK), "door")
    c.part(rect(0, 0, TILE, 3), WOOD_DARK, line=None, lo=WOOD_DEEP)  # frame, far side
    c.part(rect(0, 29, TILE, 3), WOOD_DARK, line=None, hi=WOOD)  # frame, near side
    mat = rounded(5, 9, 22, 14, 1)
    c.part(mat, hexc("c0564a"), line=OUTLINE)
    c.paint(mat & ((_gx + _gy) % 4 == 0), hexc("d9775f"))
    c.paint(rect(7, 11, 18, 10) & ~rect(8, 12, 16, 8), hexc("e8c474"))  # border weave
    return c


# --------------------------------------------------------------------------------------------
# Nature and street overlays (transparent background)
# --------------------------------------------------------------------------------------------

LEAVES = (LEAF_DEEP, LEAF_DARK, LEAF, hexc("8fcf68"), LEAF_LIGHT)
# Tree tops are bluer and deeper than the lawn so a tree stands out from the grass under it.
CANOPY = (hexc("234f3e"), hexc("2e7250"), hexc("43935c"), hexc("5fae66"), hexc("86cc78"))


def _clumps(
    c: Canvas, clumps: Sequence[tuple[float, float, float]], palette: Sequence[RGBA]
) -> Mask:
    """Foliage as overlapping round clumps, back (top) to front (bottom), each lit on its own
    top-left and divided from the clump behind by a dark line: the classic leafy canopy."""
    body = np.zeros((TILE, TILE), dtype=bool)
    for cx, cy, r in clumps:
        body |= oval(cx, cy, r, r * 0.9)
    c.paint(dilate(body) & ~body, OUTLINE)
    for cx, cy, r in sorted(clumps, key=lambda k: k[1]):
        m = oval(cx, cy, r, r * 0.9)
        _paint_lit(c, m, palette, cx, cy, r)
        c.paint(rim(m, 0, 1) & body & shifted(body, 0, 1), palette[0])
    return body


def _tree() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 27.5, 11, 3.5))
    c.solid(rect(14, 20, 4, 8), WOOD_DARK)
    c.dot(14, 27, WOOD_DEEP)
    clumps = (
        (16, 6.5, 6),
        (8.5, 9.5, 5.5),
        (23.5, 9.5, 5.5),
        (16, 11.5, 7),
        (9, 15.5, 6),
        (23, 15.5, 6),
        (16, 17, 6),
    )
    body = _clumps(c, clumps, CANOPY)
    c.paint(
        pixels([(12, 5), (13, 4), (6, 8), (14, 10), (20, 9), (7, 14), (13, 15)]) & body, CANOPY[4]
    )
    return c


def _pine() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28, 9, 3))
    c.solid(rect(14, 24, 4, 5), WOOD_DARK)
    tiers = ((2, 12, 6), (7, 19, 9), (12, 26, 12))
    palette = (LEAF_DEEP, hexc("347656"), LEAF_DARK, hexc("56a25c"))
    for top, bottom, half in reversed(tiers):
        m = polygon([(15.5, top), (15.5 - half, bottom), (15.5 + half, bottom)])
        m |= polygon([(16.5, top), (16.5 - half, bottom), (16.5 + half, bottom)])
        c.paint(dilate(m) & ~m, OUTLINE)
        _paint_lit(c, m, palette, 16, (top + bottom) / 2, half)
        c.paint(rim(m, 0, 1), LEAF_DEEP)
    return c


def _bush() -> Canvas:
    c = Canvas()
    c.shadow(oval(16.5, 26, 12, 3.5))
    clumps = (
        (10, 13, 5.5),
        (21, 12.5, 5.5),
        (15.5, 11.5, 5),
        (6.5, 19, 5),
        (25, 19, 5),
        (12, 19.5, 6),
        (20, 19.5, 6),
    )
    _clumps(c, clumps, LEAVES)
    for x, y in ((9, 14), (19, 12), (23, 19), (13, 20), (17, 16)):
        c.dot(x, y, hexc("e8586a"))
        c.dot(x - 1, y, hexc("ffb3b3"))
    return c


def _rock() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 25, 12, 3.5))
    body = oval(16, 18, 11, 7.5, power=2.3) | oval(12, 15, 6, 5)
    c.paint(dilate(body) & ~body, OUTLINE)
    _paint_lit(c, body, (STONE_DARK, hexc("9ea1ae"), STONE, STONE_LIGHT), 15, 16, 10)
    c.paint(segment(17, 13, 20, 17) | segment(20, 17, 19, 20), darker(STONE, 0.35))
    c.paint(oval(10, 13, 3, 1.6) & body, hexc("8fb86a"))  # moss
    return c


def _hedge() -> Canvas:
    """Box hedge, full tile width; its bumpy top and leaf clumps repeat every 8 px, so a row of
    hedges is one hedge."""
    c = Canvas()
    c.shadow(rect(0, 28, TILE, 2))
    crest = 4 + np.round(2 * (1 - np.sin(np.pi * ((_gx % 8) + 0.5) / 8)))
    body = (_gy >= crest) & (_gy <= 27)
    top, front = body & (_gy < 21), body & (_gy >= 21)
    c.paint(dilate(body) & ~body, OUTLINE)
    c.px[top] = dithered(np.clip(1.25 - _gy / 18.0, 0, 1), (LEAF_DARK, LEAF, hexc("8fcf68")))[top]
    for row, y in enumerate((8, 13, 18)):
        for cx in range(4 * (row % 2) - 8, 40, 8):
            clump = oval(cx + 0.5, y, 3, 2) & top
            c.paint(rim(clump, 0, -1), LEAF_LIGHT)
            c.paint(rim(clump, 0, 1), LEAF_DARK)
    c.paint(front, LEAF_DARK)
    c.paint(front & ((_gx * 3 + _gy) % 7 == 0), LEAF_DEEP)
    c.paint(front & ((_gx + _gy * 2) % 9 == 0), LEAF)
    c.paint(rect(0, 21, TILE, 1), LEAF_DEEP)
    return c


def _flower_bed() -> Canvas:
    c = Canvas()
    c.shadow(rect(4, 26, 26, 3))
    c.solid(rounded(3, 6, 26, 21, 1), WOOD)
    c.part(rect(5, 8, 22, 15), SOIL, line=WOOD_DARK, lo=SOIL_DARK)
    rng = _rng("flower-bed")
    petals = (RED, YELLOW, PINK, WHITE, hexc("b58ae6"), ORANGE)
    spots = [(x + int(rng.integers(-1, 2)), y) for y in (11, 16, 20) for x in (8, 13, 18, 23)]
    for i, (x, y) in enumerate(spots):
        c.paint(pixels([(x - 1, y + 2), (x + 1, y + 2), (x, y + 1)]), LEAF)
        petal = petals[(i * 5 + y) % len(petals)]
        c.paint(pixels([(x - 1, y), (x + 1, y), (x, y - 1)]), petal)
        c.dot(x, y, YELLOW if petal != YELLOW else ORANGE)
    return c


def _lamp_post() -> Canvas:
    c = Canvas()
    c.blend(oval(16, 6, 10, 8), hexc("ffe98a", 60))  # glow
    c.shadow(oval(17, 28, 6, 2))
    c.solid(rounded(12, 25, 8, 4, 1), BLACK)
    c.solid(rect(15, 9, 2, 17), hexc("4c4a5c"))
    c.solid(rect(11, 8, 10, 2), BLACK)  # cap
    c.part(rect(12, 2, 8, 6), hexc("fff2b0"), hi=WHITE, lo=hexc("f4cf62"))  # lantern glass
    c.part(rect(13, 0, 6, 1), BLACK)
    c.paint(rect(15, 2, 2, 6), hexc("4c4a5c"))
    return c


def _fence() -> Canvas:
    """White picket fence: rails run the full width and pickets repeat every 8 px."""
    c = Canvas()
    c.shadow(rect(0, 26, TILE, 2))
    paint = hexc("f4efe4")
    for rail_y in (13, 20):
        c.solid(rect(0, rail_y, TILE, 3), darker(paint, 0.12))
    for x in range(2, TILE, 8):
        picket = rect(x, 8, 4, 18) | rect(x + 1, 7, 2, 1)
        c.part(picket, paint, hi=WHITE, lo=darker(paint, 0.18))
    return c


def _bench() -> Canvas:
    """Park bench in 3/4 view: a backrest of two slats with a see-through gap, a slatted seat
    below it, short iron legs."""
    c = Canvas()
    c.shadow(rect(4, 25, 26, 3))
    iron = hexc("4c4a5c")
    for x in (4, 26):
        c.solid(rect(x, 3, 2, 9), iron)  # back posts
        c.solid(rect(x, 20, 2, 6), iron)  # front legs
    for y in (4, 8):
        c.solid(rect(3, y, 26, 2), WOOD)
    for y in (13, 16, 19):
        c.solid(rect(3, y, 26, 2), WOOD_LIGHT)
    return c


def _fountain() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 18, 15, 13))
    basin = oval(16, 16.5, 14.5, 13.5)
    c.part(basin, STONE_LIGHT, hi=WHITE, lo=STONE_DARK)
    water = oval(16, 16.5, 11, 10)
    c.part(water, WATER, line=STONE_DARK)
    c.paint(water & ~oval(16, 17.5, 11, 10), WATER_DEEP)  # inner wall shade at the top
    c.paint((oval(16, 16.5, 7, 6.5) & ~oval(16, 16.5, 6, 5.5)), WATER_LIGHT)  # ripple ring
    c.solid(oval(16, 15.5, 3.5, 3.5), STONE)
    for x, y in ((16, 9), (15, 10), (17, 10), (13, 12), (19, 12), (16, 11)):
        c.dot(x, y, FOAM)
    c.paint(pixels([(12, 21), (13, 21), (20, 22), (21, 22), (9, 17)]), FOAM)
    return c


def _garden_plot() -> Canvas:
    c = Canvas()
    c.solid(rect(2, 3, 28, 26), WOOD_DARK)
    soil = rect(4, 5, 24, 22)
    c.part(soil, SOIL, line=WOOD_DEEP)
    for row_y in (9, 15, 21):
        c.paint(rect(4, row_y + 2, 24, 1), SOIL_DARK)  # furrow
        c.paint(rect(4, row_y - 1, 24, 1), lighter(SOIL, 0.15))  # ridge
        for x in range(6, 27, 5):
            c.paint(pixels([(x, row_y), (x + 2, row_y), (x + 1, row_y + 1)]), LEAF)
            c.paint(pixels([(x, row_y - 1), (x + 2, row_y - 1)]), LEAF_LIGHT)
    return c


def _sign() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28.5, 5, 1.5))
    c.solid(rect(15, 16, 3, 12), WOOD_DARK)
    c.solid(rounded(5, 5, 22, 12, 1), WOOD_LIGHT)
    c.paint(rect(8, 8, 12, 1) | rect(8, 11, 16, 1) | rect(8, 14, 9, 1), WOOD_DEEP)  # lettering
    return c


# --------------------------------------------------------------------------------------------
# Furniture (transparent background), drawn in a top-down 3/4 view:
# a lit top face over a darker front face, with a drop shadow on the floor.
# --------------------------------------------------------------------------------------------


def box(
    c: Canvas,
    x: int,
    y: int,
    w: int,
    top_h: int,
    front_h: int,
    top: RGBA,
    front: RGBA | None = None,
) -> None:
    """A 3/4-view block: a lit top face, an outline edge, a darker front face below it."""
    front = front if front is not None else darker(top, 0.22)
    top_face = rect(x, y, w, top_h)
    front_face = rect(x, y + top_h + 1, w, front_h)
    c.part(top_face | rect(x, y + top_h, w, front_h + 1), top)
    c.paint(top_face & (_gy == y), lighter(top, 0.3))
    c.paint(rect(x, y + top_h, w, 1), OUTLINE)
    c.paint(front_face, front)
    c.paint(rim(front_face, 0, 1), darker(front, 0.2))


# Counter-height furniture shares one silhouette (top face y 8..19, front face y 21..28, full
# tile width), so a kitchen or shop row reads as one continuous worktop.
_COUNTER_Y, _COUNTER_TOP, _COUNTER_FRONT = 8, 12, 8


def _counter_base(
    top: RGBA, front: RGBA, door_colour: RGBA | None = None, doors: bool = True
) -> Canvas:
    c = Canvas()
    c.shadow(rect(0, 30, TILE, 2))
    top_face = rect(0, _COUNTER_Y, TILE, _COUNTER_TOP)
    body = rect(0, _COUNTER_Y, TILE, _COUNTER_TOP + _COUNTER_FRONT + 1)
    c.paint(dilate(body) & ~body, OUTLINE)
    c.paint(top_face, top)
    c.paint(rect(0, _COUNTER_Y, TILE, 1), lighter(top, 0.35))
    front_y = _COUNTER_Y + _COUNTER_TOP + 1
    c.paint(rect(0, front_y - 1, TILE, 1), OUTLINE)
    c.paint(rect(0, front_y, TILE, _COUNTER_FRONT), front)
    if doors:  # cabinet doors, one per half tile, with knobs
        door = door_colour or darker(front, 0.25)
        h = _COUNTER_FRONT
        for x in (0, 16):
            c.paint(
                rect(x + 2, front_y + 1, 12, h - 2) & ~rect(x + 3, front_y + 2, 10, h - 4), door
            )
            c.dot(x + 12, front_y + 3, lighter(front, 0.5))
    return c


def _counter() -> Canvas:
    return _counter_base(hexc("efe6d6"), WOOD)


def _bar_counter() -> Canvas:
    c = _counter_base(hexc("9b5f3f"), WOOD_DEEP, door_colour=hexc("4a2d22"))
    c.paint(rect(0, 10, TILE, 1), hexc("b97a53"))  # polished top
    c.paint(rect(0, 27, TILE, 1), GOLD)  # brass foot rail
    return c


def _kitchen_sink() -> Canvas:
    c = _counter_base(hexc("efe6d6"), WOOD)
    c.part(rounded(6, 10, 20, 9, 1), STEEL, hi=CHROME)  # the steel rim, flush with the top
    basin = rect(8, 12, 16, 5)
    c.paint(basin, hexc("98a4b2"))  # recessed: darker than the rim ...
    c.paint(basin & (_gy == 12), hexc("6f7a8a"))  # ... with the rim's shadow on its far wall
    c.paint(pixels([(10, 15), (11, 15), (20, 14)]), WATER_LIGHT)
    c.dot(16, 15, STEEL_DARK)  # drain
    c.part(rect(15, 5, 2, 6) | rect(15, 5, 4, 1), CHROME, lo=STEEL)  # gooseneck tap
    return c


def _stove() -> Canvas:
    c = _counter_base(hexc("f2f2f0"), hexc("e2e5e8"), doors=False)
    for bx, by in ((9, 11.5), (23, 11.5), (9, 17), (23, 17)):
        c.part(oval(bx, by, 4, 2.5), BLACK, line=None)
        c.paint(oval(bx, by, 2, 1.2), hexc("e4683f") if bx == 9 and by == 17 else STEEL_DARK)
    front_y = _COUNTER_Y + _COUNTER_TOP + 1
    c.paint(rect(4, front_y + 2, 24, 5), OUTLINE)  # oven door glass
    c.paint(rect(5, front_y + 3, 22, 3), hexc("4a4458"))
    c.paint(rect(6, front_y + 3, 6, 1), hexc("7d7690"))
    c.paint(rect(8, front_y, 16, 1), STEEL_DARK)  # handle
    for kx in (3, 28):
        c.dot(kx, front_y + 1, BLACK)
    return c


def _fridge() -> Canvas:
    c = Canvas()
    c.shadow(rect(5, 29, 24, 3))
    box(c, 5, 1, 22, 4, 23, hexc("f7f8f8"), hexc("e3e8ec"))
    c.paint(rect(6, 12, 20, 1), STEEL_DARK)  # freezer door split
    c.paint(rect(22, 7, 2, 4) | rect(22, 14, 2, 7), STEEL)
    c.paint(rect(22, 7, 1, 4) | rect(22, 14, 1, 7), STEEL_DARK)
    for x, y, col in ((9, 16, RED), (12, 18, YELLOW), (9, 20, BLUE)):  # magnets
        c.paint(rect(x, y, 2, 2), col)
    c.paint(rect(13, 15, 4, 4), PAPER)  # a note
    return c


def _desk_base(c: Canvas) -> None:
    """A wooden desk: worktop, a drawer on the right, knee space on the left."""
    c.shadow(rect(3, 28, 28, 3))
    box(c, 2, 12, 28, 9, 7, WOOD_LIGHT, WOOD)
    c.part(rect(19, 23, 9, 4), WOOD, line=WOOD_DEEP)
    c.paint(rect(22, 24, 3, 1), WOOD_DEEP)
    c.paint(rect(4, 23, 13, 5), WOOD_DEEP)  # knee space


def _desk() -> Canvas:
    c = Canvas()
    _desk_base(c)
    c.part(rect(6, 13, 8, 6), PAPER, line=hexc("c8c0ad"))  # papers
    c.paint(rect(7, 15, 5, 1) | rect(7, 17, 4, 1), hexc("9fa6b8"))
    c.paint(segment(16, 18, 20, 14), BLUE)  # pen
    c.solid(rect(23, 5, 2, 9), BLACK)  # lamp stem
    c.part(polygon([(20, 3), (27, 3), (26, 7), (21, 7)]), hexc("7cc7a4"))
    c.blend(oval(23.5, 14, 5, 2), hexc("fff3a0", 90))
    return c


def _computer() -> Canvas:
    c = Canvas()
    _desk_base(c)
    c.solid(rect(14, 14, 4, 3), BLACK)  # stand
    c.part(rect(6, 1, 20, 13), BLACK)
    screen = rect(8, 3, 16, 9)
    c.paint(screen, hexc("5aa7e6"))
    c.paint(rect(9, 4, 8, 2), WHITE)  # a window on screen
    c.paint(rect(9, 7, 5, 1) | rect(9, 9, 9, 1), hexc("c7e6fb"))
    c.paint(rect(19, 4, 4, 4), hexc("f4c65c"))
    c.part(rect(7, 17, 15, 3), hexc("dfe2e8"), lo=STEEL)  # keyboard
    c.paint(rect(8, 18, 13, 1) & (_gx % 2 == 0), STEEL_DARK)
    c.solid(rounded(24, 17, 3, 4, 1), hexc("dfe2e8"))  # mouse
    return c


def _student_desk() -> Canvas:
    c = Canvas()
    c.shadow(rect(6, 27, 22, 3))
    for x in (6, 24):  # metal legs
        c.solid(rect(x, 15, 2, 8), STEEL_DARK)
    box(c, 5, 6, 22, 8, 2, hexc("e3c08e"), WOOD)
    c.part(rect(8, 7, 9, 6), hexc("f7e2a4"), line=hexc("b89a5a"))  # exercise book
    c.paint(rect(12, 7, 1, 6), hexc("d8b96c"))
    c.paint(segment(19, 12, 23, 8), YELLOW)  # pencil
    c.dot(19, 12, BLACK)
    c.solid(rounded(10, 22, 12, 6, 1), hexc("5f9fd6"))  # the chair tucked in
    c.solid(rect(11, 28, 2, 2), STEEL_DARK)
    c.solid(rect(19, 28, 2, 2), STEEL_DARK)
    return c


def _chair() -> Canvas:
    c = Canvas()
    c.shadow(rect(10, 27, 15, 3))
    for x in (10, 20):
        c.solid(rect(x, 22, 2, 6), WOOD_DARK)
    c.solid(rounded(9, 14, 14, 10, 1), WOOD)  # seat
    c.paint(rect(10, 17, 12, 1), WOOD_DARK)
    c.solid(rounded(9, 3, 14, 11, 1), WOOD_DARK)  # backrest, nearer the wall
    c.paint(rect(11, 5, 10, 7) & (_gx % 3 == 0), WOOD_DEEP)
    return c


def _table() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 27, 10, 3))
    c.solid(rect(14, 18, 4, 9), WOOD_DARK)  # pedestal
    c.solid(rect(10, 25, 12, 3), WOOD_DARK)
    c.part(oval(16, 16, 13, 8), WOOD)  # table edge thickness
    top = oval(16, 14, 13, 8)
    c.part(top, WOOD_LIGHT, hi=lighter(WOOD_LIGHT, 0.3))
    c.solid(oval(16, 13, 3, 2.5), PAPER)  # cup
    c.dot(16, 13, hexc("8a5a3c"))
    return c


def _dining_table() -> Canvas:
    c = Canvas()
    c.shadow(rect(2, 27, 29, 3))
    for x in (3, 27):
        c.solid(rect(x, 20, 2, 8), WOOD_DARK)
    cloth = rect(1, 5, 30, 17)
    c.part(cloth, WHITE, hi=WHITE, lo=hexc("d6d3ca"))
    c.paint(cloth & ((_gx % 6 == 3) | (_gy % 6 == 3)), hexc("f3b5b5"))  # gingham
    c.paint(rect(2, 19, 28, 3), hexc("e7e3d9"))  # drape
    c.paint(rect(2, 19, 28, 1), hexc("c9c4b7"))
    for px in (9, 23):
        c.part(oval(px, 11.5, 4, 3.5), WHITE, line=STEEL_DARK)
        c.paint(oval(px, 11.5, 2, 1.7), ORANGE if px == 9 else GREEN)
        c.paint(rect(px + 5, 9, 1, 6), STEEL)  # fork
    c.solid(rect(15, 4, 3, 6), hexc("86c5e8"))  # a glass of water
    return c


def _toilet() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 26, 8, 3))
    c.solid(rounded(9, 2, 14, 8, 1), PORCELAIN)  # cistern
    c.paint(rect(14, 4, 4, 1), STEEL)
    c.solid(oval(16, 18, 8, 9), PORCELAIN)
    c.part(oval(16, 18.5, 5, 6), hexc("a9dcf0"), line=hexc("b7c3cc"))
    c.paint(oval(16, 20, 2.5, 3), hexc("8cc9e4"))
    return c


def _shower() -> Canvas:
    c = Canvas()
    tray = rect(2, 2, 28, 28)
    c.part(tray, hexc("e2f1f8"), hi=WHITE, lo=hexc("b6d2e0"))
    c.paint(tray & ((_gx % 6 == 2) | (_gy % 6 == 2)) & rect(3, 3, 26, 26), hexc("c1dcea"))
    c.part(oval(16, 22, 2.5, 2.5), STEEL_DARK, line=STEEL)  # drain
    c.solid(rect(15, 2, 2, 4), STEEL)  # pipe from the wall
    rose = oval(16, 8, 4.5, 3)
    c.solid(rose, CHROME)
    c.paint(rose & ~rim(rose, 0, 1) & ((_gx + _gy) % 2 == 0) & rect(13, 7, 7, 2), STEEL_DARK)
    drops = [(12, 13), (16, 13), (20, 13), (14, 16), (18, 16), (12, 19), (20, 19), (16, 18)]
    c.paint(pixels(drops) | moved(pixels(drops), 0, 1), WATER)
    return c


def _bath_sink() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28, 6, 2))
    c.solid(rect(13, 17, 6, 11), PORCELAIN)  # pedestal
    basin = oval(16, 12, 11, 7.5)
    c.solid(basin, PORCELAIN)
    c.part(oval(16, 13, 7, 4.5), hexc("bfe3f3"), line=hexc("aab6bf"))
    c.solid(rect(15, 3, 2, 5), CHROME)
    c.dot(16, 13, STEEL_DARK)
    return c


def _bathtub() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 27, 28, 3))
    tub = rounded(2, 4, 28, 23, 3)
    c.solid(tub, PORCELAIN)
    water = rounded(5, 7, 22, 15, 2)
    c.part(water, hexc("8fd0ee"), line=hexc("a8b5bf"), lo=hexc("b7e3f6"))
    c.paint(pixels([(9, 11), (10, 11), (19, 17), (20, 17), (13, 15)]), FOAM)
    c.solid(rect(15, 1, 3, 4), CHROME)  # tap
    c.solid(oval(21, 12, 2.5, 2), YELLOW)  # rubber duck
    c.dot(23, 12, ORANGE)
    return c


def _bookshelf() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 29, 28, 3))
    box(c, 2, 1, 28, 3, 24, WOOD, WOOD_DARK)
    rng = _rng("books")
    spines = (RED, BLUE, GREEN, YELLOW, PURPLE, ORANGE, hexc("4fb3b0"), PAPER, hexc("d46a8a"))
    for shelf_y in (6, 14, 22):
        c.paint(rect(4, shelf_y, 24, 6), WOOD_DEEP)
        x = 4
        while x < 27:
            w = int(rng.integers(2, 4))
            h = int(rng.integers(4, 7))
            spine = spines[int(rng.integers(len(spines)))]
            if rng.random() < 0.1:  # a gap on the shelf
                x += w
                continue
            book = rect(x, shelf_y + 6 - h, min(w, 28 - x), h)
            c.paint(book, spine)
            c.paint(book & (_gx == x), darker(spine, 0.3))
            c.paint(book & (_gy == shelf_y + 7 - h), lighter(spine, 0.3))
            x += w
        c.paint(rect(3, shelf_y + 6, 26, 2), WOOD)
    return c


def _piano() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 29, 28, 3))
    body = hexc("463848")
    box(c, 2, 2, 28, 4, 23, hexc("5c4b5e"), body)
    c.part(rect(10, 8, 12, 4), PAPER, line=hexc("c8c0ad"))  # sheet music
    c.paint(rect(11, 9, 10, 1) | rect(11, 11, 10, 1), hexc("9b94a8"))
    keys = rect(3, 14, 26, 6)
    c.paint(keys, WHITE)
    c.paint(keys & (_gx % 3 == 2), hexc("c6c3cc"))
    black_keys = rect(3, 14, 26, 4) & np.isin(_gx % 21, (4, 7, 13, 16, 19))
    c.paint(black_keys, BLACK)
    c.paint(rect(2, 20, 28, 1), OUTLINE)
    c.paint(rect(13, 26, 2, 1) | rect(17, 26, 2, 1), GOLD)  # pedals
    return c


def _seat(c: Canvas, x: int, w: int, fabric: RGBA, cushions: int) -> None:
    """Sofa or armchair: a backrest along the wall, arms, cushions, a front face."""
    c.shadow(rect(x + 1, 28, w, 3))
    c.solid(rounded(x, 6, w, 10, 2), darker(fabric, 0.12))  # backrest
    c.solid(rounded(x, 12, 5, 16, 1), fabric)
    c.solid(rounded(x + w - 5, 12, 5, 16, 1), fabric)
    inner = w - 10
    c.solid(rect(x + 5, 24, inner, 4), darker(fabric, 0.25))  # front face
    step = inner // cushions
    for i in range(cushions):
        c.solid(rounded(x + 5 + i * step, 15, step, 9, 1), lighter(fabric, 0.12))


def _sofa() -> Canvas:
    c = Canvas()
    _seat(c, 1, 30, hexc("5fb3a8"), 2)
    c.solid(rect(20, 16, 5, 4), hexc("f2c46a"))  # a cushion
    return c


def _armchair() -> Canvas:
    c = Canvas()
    _seat(c, 5, 22, hexc("d9828e"), 1)
    return c


def _tv() -> Canvas:
    c = Canvas()
    c.shadow(rect(4, 29, 26, 3))
    box(c, 3, 20, 26, 3, 5, WOOD_LIGHT, WOOD)
    c.paint(rect(6, 25, 8, 3), WOOD_DARK)
    c.paint(rect(18, 25, 8, 3), WOOD_DARK)
    c.solid(rect(14, 17, 4, 3), BLACK)
    c.part(rect(3, 2, 26, 16), BLACK)
    screen = rect(5, 4, 22, 12)
    c.paint(screen, hexc("35507e"))
    c.paint(screen & (_gy >= 12), hexc("4f8a5a"))  # a landscape on screen
    c.paint(oval(21, 8, 2, 2), YELLOW)
    c.paint(screen & ((_gx + _gy) % 14 == 0) & (_gx < 14), hexc("7d9ccc"))  # glare
    return c


def _wardrobe() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 29, 28, 3))
    box(c, 2, 1, 28, 3, 24, WOOD, WOOD_DARK)
    c.paint(rect(15, 5, 2, 24), WOOD_DEEP)
    for x in (5, 19):
        c.paint(rect(x, 7, 8, 18) & ~rect(x + 1, 8, 6, 16), WOOD)  # door panels
    c.paint(rect(13, 15, 1, 4) | rect(18, 15, 1, 4), GOLD)
    return c


def _dresser() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 29, 28, 3))
    box(c, 2, 11, 28, 3, 14, WOOD_LIGHT, WOOD)
    for y in (16, 21):
        c.paint(rect(3, y, 26, 1), WOOD_DARK)
    for y in (13, 18, 23):
        c.paint(rect(8, y, 2, 1) | rect(22, y, 2, 1), GOLD)
    c.solid(rect(5, 4, 8, 8), hexc("e9c56e"))  # a framed photo
    c.paint(rect(7, 6, 4, 4), hexc("8cc9e4"))
    c.solid(oval(22, 8, 3, 3.5), hexc("8c9ad6"))  # vase
    c.paint(pixels([(21, 3), (23, 3), (22, 2)]), PINK)
    return c


def _coffee_machine() -> Canvas:
    c = _counter_base(hexc("efe6d6"), WOOD)
    c.solid(rect(6, 1, 20, 16), STEEL)
    c.paint(rect(7, 2, 18, 3), RED)  # brand band
    c.paint(rect(10, 6, 12, 2), BLACK)  # group head
    c.paint(rect(15, 8, 2, 2), STEEL_DARK)
    c.part(rect(13, 11, 5, 4), WHITE)  # cup
    c.paint(rect(14, 11, 3, 1), hexc("7a4a2c"))
    c.paint(rect(22, 8, 1, 6), CHROME)  # steam wand
    return c


def _cash_register() -> Canvas:
    c = _counter_base(hexc("efe6d6"), WOOD)
    c.solid(rect(7, 10, 18, 8), hexc("c9ccd6"))  # drawer unit
    c.solid(rect(9, 3, 14, 7), hexc("b2b6c4"))  # keypad body
    c.paint(rect(10, 6, 12, 3) & (_gx % 2 == 0) & (_gy % 2 == 0), hexc("f6f6f6"))
    c.solid(rect(11, 1, 10, 2), BLACK)
    c.paint(rect(12, 1, 6, 1), hexc("7df08a"))  # display
    c.paint(rect(8, 15, 16, 1), STEEL_DARK)
    return c


def _beer_tap() -> Canvas:
    c = _bar_counter()
    c.solid(rect(6, 4, 20, 3), CHROME)  # tap tower bar
    for x, col in ((8, RED), (15, GOLD), (22, GREEN)):
        c.solid(rect(x, 1, 2, 3), col)
        c.paint(rect(x, 7, 2, 2), STEEL_DARK)
    c.part(rect(13, 12, 6, 6), hexc("f2b53e"))  # a pint
    c.paint(rect(13, 12, 6, 2), WHITE)
    return c


def _pool_table() -> Canvas:
    c = Canvas()
    c.shadow(rect(3, 27, 28, 3))
    for x in (3, 27):
        c.solid(rect(x, 22, 3, 6), WOOD_DARK)
    c.solid(rounded(1, 3, 30, 21, 2), WOOD_DARK)
    felt = rect(4, 6, 24, 15)
    c.part(felt, hexc("3f9e67"), line=WOOD_DEEP, lo=hexc("358a59"))
    for px, py in ((4, 6), (15, 5), (27, 6), (4, 20), (15, 21), (27, 20)):
        c.paint(rect(px, py, 2, 2), BLACK)
    for bx, by, col in ((10, 13, WHITE), (19, 11, RED), (21, 14, YELLOW), (18, 15, BLUE)):
        c.paint(rect(bx, by, 2, 2), col)
    c.paint(segment(4, 17, 10, 14), WOOD_LIGHT)  # cue
    return c


def _blackboard() -> Canvas:
    c = Canvas()
    c.solid(rect(1, 3, 30, 21), WOOD)
    board = rect(3, 5, 26, 17)
    c.paint(board, hexc("2f5a4a"))
    c.paint(rect(5, 8, 9, 1) | rect(5, 11, 14, 1) | rect(5, 14, 7, 1), hexc("e8efe9"))
    c.paint(segment(18, 15, 25, 8), hexc("f4e3a0"))  # a chalk graph
    c.paint(rect(18, 8, 1, 8) | rect(18, 15, 8, 1), hexc("c9d6cf"))
    c.solid(rect(4, 24, 24, 2), WOOD_DARK)  # chalk tray
    c.dot(9, 24, WHITE)
    c.dot(10, 24, WHITE)
    for x in (5, 25):
        c.solid(rect(x, 26, 2, 3), WOOD_DARK)
    return c


def _lectern() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28.5, 7, 1.8))
    c.solid(rect(10, 26, 12, 3), WOOD_DARK)
    c.solid(rect(14, 15, 4, 11), WOOD)
    c.solid(polygon([(7, 5), (24, 5), (26, 15), (5, 15)]), WOOD_LIGHT)
    c.part(polygon([(9, 6), (15, 6), (15, 13), (8, 13)]), PAPER, line=hexc("b9b09b"))  # open book
    c.part(polygon([(16, 6), (22, 6), (23, 13), (16, 13)]), PAPER, line=hexc("b9b09b"))
    c.paint(
        rect(10, 8, 4, 1) | rect(10, 10, 4, 1) | rect(17, 8, 4, 1) | rect(17, 10, 5, 1),
        hexc("a6a0b4"),
    )
    return c


def _podium() -> Canvas:
    """A speaker's stand: a broad panelled front with an emblem (the lectern is a slim post)."""
    c = Canvas()
    c.shadow(rect(5, 29, 24, 3))
    c.solid(polygon([(4, 8), (27, 8), (25, 28), (6, 28)]), hexc("7a4f9a"))
    c.solid(rect(3, 4, 26, 5), hexc("9a6cbb"))
    c.paint(rect(7, 11, 18, 15) & ~rect(8, 12, 16, 13), hexc("5e3a7c"))
    c.solid(oval(16, 18, 4.5, 4.5), GOLD)
    c.paint(
        pixels([(16, 15), (15, 17), (17, 17), (16, 17), (14, 18), (18, 18), (16, 19)]),
        lighter(GOLD, 0.5),
    )
    c.solid(rect(15, 1, 2, 3), BLACK)  # gooseneck mic
    return c


def _microphone() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28, 8, 2))
    tripod = segment(16, 24, 10, 28) | segment(16, 24, 22, 28) | segment(16, 24, 16, 29)
    c.paint(tripod, BLACK)
    c.solid(rect(15, 8, 2, 17), hexc("55526a"))
    c.solid(rect(14, 7, 4, 2), BLACK)
    head = oval(16, 4.5, 3.5, 3.5)
    c.part(head, STEEL, lo=STEEL_DARK)
    c.paint(head & ((_gx + _gy) % 2 == 0), STEEL_DARK)
    c.dot(15, 3, WHITE)
    return c


def _leaf(base: tuple[float, float], tip: tuple[float, float], width: float) -> Mask:
    """A pointed leaf from base to tip: a diamond bulging 40% of the way along."""
    (bx, by), (tx, ty) = base, tip
    mx, my = bx + (tx - bx) * 0.4, by + (ty - by) * 0.4
    length = max(1e-6, ((tx - bx) ** 2 + (ty - by) ** 2) ** 0.5)
    nx, ny = -(ty - by) / length * width, (tx - bx) / length * width
    return polygon([(bx, by), (mx + nx, my + ny), (tx, ty), (mx - nx, my - ny)])


def _plant() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28.5, 7, 2))
    tips = ((4, 13), (27, 12), (7, 5), (25, 4), (12, 1), (19, 1), (16, 6))
    for i, tip in enumerate(tips):
        leaf = _leaf((16, 18), tip, 3.2)
        tone = LEAF if i % 2 else hexc("5aae58")
        c.part(leaf, tone, hi=LEAF_LIGHT, lo=LEAF_DARK)
        c.paint(
            segment(16, 17, int(tip[0] * 0.8 + 16 * 0.2), int(tip[1] * 0.8 + 18 * 0.2)) & leaf,
            LEAF_DARK,
        )
    pot = polygon([(10, 19), (21, 19), (20, 28), (11, 28)])
    c.solid(pot, hexc("d87e52"))
    c.solid(rect(9, 17, 14, 3), hexc("e5946a"))
    return c


def _lab_bench() -> Canvas:
    c = Canvas()
    c.shadow(rect(2, 29, 29, 3))
    box(c, 1, 12, 30, 8, 8, hexc("3e4452"), WHITE)
    c.paint(rect(2, 22, 28, 6) & (_gx % 10 == 5), hexc("c9cdd4"))
    c.paint(rect(3, 24, 28, 1) & (_gx % 10 == 8), STEEL_DARK)
    flask = polygon([(5, 14), (12, 14), (10, 8), (7, 8)]) | rect(7, 4, 3, 5)  # Erlenmeyer
    c.part(flask, hexc("dff3fb"), hi=WHITE)
    c.paint(polygon([(6, 12), (11, 12), (11, 13), (6, 13)]) & flask, hexc("7de07a"))
    c.paint(flask & (_gy >= 11) & ~rim(flask, 0, -1), hexc("7de07a"))
    c.solid(rect(15, 10, 10, 4), WOOD)  # test tube rack
    for x, col in ((16, RED), (19, BLUE), (22, PURPLE)):
        c.part(rect(x, 3, 2, 9), hexc("e8f6fb"))
        c.paint(rect(x, 7, 2, 4), col)
    c.part(rect(26, 9, 4, 5), hexc("e8f6fb"))  # beaker
    c.paint(rect(26, 11, 4, 3), hexc("f4d35c"))
    return c


def _washing_machine() -> Canvas:
    c = Canvas()
    c.shadow(rect(5, 29, 25, 3))
    box(c, 4, 2, 24, 4, 21, hexc("f7f8f9"), hexc("e8ecef"))
    c.paint(rect(5, 8, 22, 1), STEEL)
    c.dot(7, 7, hexc("7df08a"))
    c.paint(rect(20, 7, 5, 1), STEEL_DARK)
    door = oval(16, 18, 7.5, 7.5)
    c.part(door, STEEL, line=STEEL_DARK)
    glass = oval(16, 18, 5.5, 5.5)
    c.paint(glass, hexc("6cb4e4"))
    c.paint(glass & (_gy < 16), hexc("3f6f9c"))
    c.paint(pixels([(13, 18), (14, 18), (17, 20), (18, 20), (15, 21)]), FOAM)
    c.dot(13, 14, WHITE)
    return c


def _grill() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 28, 9, 2))
    for leg in (segment(10, 19, 7, 28), segment(22, 19, 25, 28), segment(16, 21, 16, 28)):
        c.part(leg, BLACK, line=None)
    kettle = oval(16, 14, 12, 9)
    c.solid(kettle, BLACK)
    c.part(oval(16, 13, 10, 6.5), hexc("5d5665"), line=OUTLINE)  # grate
    c.paint(oval(16, 13, 10, 6.5) & (_gx % 3 == 0), hexc("8a8496"))
    for sx, sy in ((10, 11), (16, 14), (20, 10)):  # sausages
        c.part(rect(sx, sy, 5, 2), hexc("c0603c"), line=hexc("6e2e1e"))
    c.paint(rect(27, 13, 3, 2), WOOD)  # handle
    return c


def _drum_kit() -> Canvas:
    c = Canvas()
    c.shadow(rect(4, 28, 25, 3))
    for cx, cy in ((5, 6), (27, 6)):  # cymbals
        c.solid(rect(cx, cy, 1, 18), STEEL_DARK, line=None)
        c.part(oval(cx + 0.5, cy, 5, 2), GOLD, hi=lighter(GOLD, 0.5), lo=darker(GOLD, 0.2))
    shell = hexc("d24d5a")
    for cx in (11, 21):  # toms
        c.part(oval(cx, 10, 4, 4), WHITE, lo=hexc("d6d3ca"))
        c.paint(oval(cx, 13, 4, 1.5) & ~oval(cx, 10, 4, 4), shell)
    bass = oval(16, 20, 8, 8)
    c.part(bass, shell, lo=darker(shell, 0.3))
    c.part(oval(16, 20, 6, 6), WHITE, line=darker(shell, 0.3))
    c.paint(oval(16, 20, 3, 3) & ~oval(16, 20, 2, 2), shell)
    return c


def _guitar() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 29, 7, 1.8))
    c.solid(rect(15, 4, 3, 10), WOOD_DEEP)  # neck
    c.solid(rect(14, 1, 5, 3), WOOD_DARK)  # headstock
    c.paint(pixels([(13, 1), (19, 1), (13, 3), (19, 3)]), STEEL)  # tuning pegs
    body = oval(16.5, 22, 8, 6.5) | oval(16.5, 14.5, 6, 5)
    c.part(body, hexc("e8a04e"), lo=hexc("b86e34"), hi=hexc("f7c47a"))
    c.solid(oval(16.5, 17, 2.5, 2.5), WOOD_DEEP, line=None)
    c.paint(rect(13, 23, 7, 2), WOOD_DEEP)  # bridge
    c.paint(rect(16, 4, 1, 19), hexc("e9e3d3"))  # strings
    c.solid(rect(10, 28, 13, 2), BLACK)  # stand
    return c


def _easel() -> Canvas:
    c = Canvas()
    c.shadow(oval(17, 29, 10, 2))
    for leg in (segment(16, 2, 7, 29), segment(16, 2, 25, 29), segment(16, 2, 16, 27)):
        c.part(leg | moved(leg, 1, 0), WOOD, line=WOOD_DEEP)
    canvas = rect(7, 5, 19, 15)
    c.part(canvas, PAPER)
    c.paint(rect(8, 6, 17, 8), hexc("9fd3ef"))  # sky
    c.paint(canvas & (_gy >= 13) & ((_gx - 7) ** 2 / 4 + (_gy - 24) ** 2 < 140), hexc("7ccb6a"))
    c.paint(canvas & (_gy >= 17), hexc("5fae5c"))
    c.paint(oval(21, 9, 2, 2), YELLOW)
    c.part(rect(6, 20, 21, 2), WOOD_DARK)  # ledge
    return c


def _store_shelf() -> Canvas:
    c = Canvas()
    c.shadow(rect(2, 29, 29, 3))
    box(c, 1, 1, 30, 3, 24, hexc("d2dae2"), hexc("9aa7b6"))
    rng = _rng("store-shelf")
    goods = (RED, YELLOW, GREEN, ORANGE, BLUE, hexc("f2e6c8"), PINK, hexc("8b5e3c"))
    for shelf_y in (6, 14, 22):
        c.paint(rect(3, shelf_y, 26, 6), hexc("6d7888"))
        x = 3
        while x < 28:
            w = int(rng.integers(3, 6))
            h = int(rng.integers(3, 7))
            col = goods[int(rng.integers(len(goods)))]
            item = rect(x, shelf_y + 6 - h, min(w, 29 - x) - 1, h)
            c.paint(item, col)
            c.paint(item & (_gy == shelf_y + 6 - h), lighter(col, 0.4))
            c.paint(item & (_gy == shelf_y + 8 - h) & (_gx % 2 == 1), WHITE)  # label
            x += w
        c.paint(rect(2, shelf_y + 6, 28, 2), hexc("c3ccd6"))
    return c


def _medicine_shelf() -> Canvas:
    c = Canvas()
    c.shadow(rect(2, 29, 29, 3))
    box(c, 1, 1, 30, 3, 24, WHITE, hexc("dfe4e8"))
    c.paint(rect(13, 5, 6, 2) | rect(15, 3, 2, 6), hexc("e04a4a"))  # pharmacy cross
    rng = _rng("medicine-shelf")
    colours = (hexc("5bb0e8"), hexc("f08a8a"), hexc("9bd87a"), hexc("f4d35c"), hexc("c49ae8"))
    for shelf_y in (11, 20):
        c.paint(rect(3, shelf_y, 26, 7), hexc("c7d0d8"))
        x = 3
        while x < 28:
            col = colours[int(rng.integers(len(colours)))]
            if rng.random() < 0.45:  # a bottle with a white cap
                c.paint(rect(x, shelf_y + 2, 2, 5), col)
                c.paint(rect(x, shelf_y + 1, 2, 1), WHITE)
                x += 3
            else:  # a box with a stripe
                w = int(rng.integers(3, 5))
                item = rect(x, shelf_y + 3, min(w, 29 - x), 4)
                c.paint(item, WHITE)
                c.paint(item & (_gy == shelf_y + 4), col)
                c.paint(item & (_gx == x), hexc("c7d0d8"))
                x += w + 1
        c.paint(rect(2, shelf_y + 7, 28, 2), WHITE)
    return c


def _bed_frame(c: Canvas, y0: int, y1: int) -> Mask:
    """The bed's body from y0 to y1 inclusive, 26 px wide; both halves use the same columns
    so they join without a step."""
    body = rect(3, y0, 26, y1 - y0 + 1)
    c.paint(dilate(body) & ~body, OUTLINE)
    return body


_QUILT = hexc("8db6ea")


def _quilt(c: Canvas, mask: Mask) -> None:
    # the pattern is anchored to the tile grid with period 8, so it runs on across the join
    c.paint(mask, _QUILT)
    c.paint(mask & ((_gy % 8 == 3) | (_gx % 8 == 3)), hexc("a9c9f2"))
    c.paint(mask & (_gy % 8 == 3) & (_gx % 8 == 3), WHITE)
    c.paint(mask & (_gx == 4), darker(_QUILT, 0.15))
    c.paint(mask & (_gx == 27), darker(_QUILT, 0.25))


def _bed_head() -> Canvas:
    c = Canvas()
    c.shadow(rect(29, 4, 2, TILE - 4))
    body = _bed_frame(c, 4, TILE - 1)
    c.paint(body, WHITE)  # sheet
    c.paint(body & (_gx == 27), hexc("d6d3ca"))
    c.part(rect(3, 1, 26, 5), WOOD_DARK, hi=WOOD, lo=WOOD_DEEP)  # headboard
    c.part(rounded(6, 8, 20, 8, 2), WHITE, line=hexc("b9b4c4"), lo=hexc("dcd8e4"))  # pillow
    c.paint(rect(9, 11, 14, 1), hexc("e6e2ec"))
    c.paint(rect(4, 20, 24, 1), hexc("d6d3ca"))  # turned-down sheet
    _quilt(c, rect(4, 21, 24, TILE - 21))
    return c


def _bed_foot() -> Canvas:
    c = Canvas()
    c.shadow(rect(29, 0, 2, 28) | rect(4, 29, 27, 2))
    body = _bed_frame(c, 0, 27)
    c.paint(body, WHITE)
    c.paint(body & (_gx == 27), hexc("d6d3ca"))
    _quilt(c, rect(4, 0, 24, 24))
    c.paint(rect(4, 24, 24, 1), darker(_QUILT, 0.3))
    c.paint(rect(3, 25, 26, 3), WOOD_DARK)  # footboard
    c.paint(rect(3, 25, 26, 1), WOOD)
    return c


# --------------------------------------------------------------------------------------------
# Meta tiles (editor only)
# --------------------------------------------------------------------------------------------


def _marker(color: RGBA, mark: Mask) -> Canvas:
    c = Canvas((*color[:3], 90))
    c.paint(~rect(1, 1, 30, 30), (*color[:3], 200))
    c.paint(mark, (*color[:3], 235))
    return c


def _collision() -> Canvas:
    x = np.abs(_gx - _gy) <= 1
    x |= np.abs(_gx + _gy - 31) <= 1
    return _marker(hexc("e02828"), x & rect(4, 4, 24, 24))


def _spawn() -> Canvas:
    return _marker(hexc("28c040"), oval(16, 16, 5, 5))


# --------------------------------------------------------------------------------------------
# Tile tables: insertion order is the tileset order
# --------------------------------------------------------------------------------------------

_WOOD_FLOOR = (hexc("d49a62"), hexc("dfab76"), hexc("a8703f"), hexc("9a6438"))
_DARK_FLOOR = (hexc("8e5c3e"), hexc("9c6a4a"), hexc("6e432d"), hexc("5a3626"))

GROUND: dict[str, Callable[[], Canvas]] = {
    "grass": lambda: _grass("grass", tufts=4),
    "grass_2": lambda: _grass("grass_2", tufts=7),
    "grass_3": lambda: _grass("grass_3", tufts=3, extras=3),
    "flowers": _flowers,
    "dirt": _dirt,
    "road": _road,
    "road_line_h": lambda: _road_line(horizontal=True),
    "road_line_v": lambda: _road_line(horizontal=False),
    "crosswalk": _crosswalk,
    "sidewalk": _sidewalk,
    "plaza": _plaza,
    "sand": _sand,
    "water": lambda: _water("water"),
    "water_2": lambda: _water("water_2"),
    "floor_wood": lambda: _planks(_WOOD_FLOOR, "floor_wood"),
    "floor_wood_dark": lambda: _planks(_DARK_FLOOR, "floor_wood_dark"),
    "floor_tile": _floor_tile,
    "floor_bath": _floor_bath,
    "floor_carpet": lambda: _carpet(hexc("8e3346"), hexc("d8a24a")),
    "floor_carpet_blue": lambda: _carpet(hexc("3f5f9e"), hexc("e6d28a")),
    "floor_stone": _floor_stone,
    "door": _door,
    "wall": _bricks,
    "window": _window,
}

OVERLAYS: dict[str, Callable[[], Canvas]] = {
    "tree": _tree,
    "pine": _pine,
    "bush": _bush,
    "rock": _rock,
    "hedge": _hedge,
    "flower_bed": _flower_bed,
    "lamp_post": _lamp_post,
    "fence": _fence,
    "bench": _bench,
    "fountain": _fountain,
    "garden_plot": _garden_plot,
    "sign": _sign,
}

FURNITURE: dict[str, Callable[[], Canvas]] = {
    "bed_head": _bed_head,
    "bed_foot": _bed_foot,
    "desk": _desk,
    "chair": _chair,
    "table": _table,
    "dining_table": _dining_table,
    "stove": _stove,
    "fridge": _fridge,
    "kitchen_sink": _kitchen_sink,
    "counter": _counter,
    "toilet": _toilet,
    "shower": _shower,
    "bath_sink": _bath_sink,
    "bathtub": _bathtub,
    "bookshelf": _bookshelf,
    "piano": _piano,
    "sofa": _sofa,
    "tv": _tv,
    "wardrobe": _wardrobe,
    "coffee_machine": _coffee_machine,
    "cash_register": _cash_register,
    "bar_counter": _bar_counter,
    "beer_tap": _beer_tap,
    "pool_table": _pool_table,
    "blackboard": _blackboard,
    "lectern": _lectern,
    "student_desk": _student_desk,
    "computer": _computer,
    "easel": _easel,
    "store_shelf": _store_shelf,
    "medicine_shelf": _medicine_shelf,
    "podium": _podium,
    "microphone": _microphone,
    "plant": _plant,
    "lab_bench": _lab_bench,
    "washing_machine": _washing_machine,
    "dresser": _dresser,
    "armchair": _armchair,
    "grill": _grill,
    "drum_kit": _drum_kit,
    "guitar": _guitar,
}

META: dict[str, Callable[[], Canvas]] = {"collision": _collision, "spawn": _spawn}

GROUND_TILES = tuple(GROUND)
OVERLAY_TILES = tuple(OVERLAYS)
FURNITURE_TILES = tuple(FURNITURE)
# Pieces that join the same piece, or each other, side by side into one long object: a hedge,
# a fence, a kitchen or shop counter (with its sink, stove, till and coffee machine) and a bar.
SIDE_BY_SIDE_TILES = (
    "hedge",
    "fence",
    "counter",
    "kitchen_sink",
    "stove",
    "coffee_machine",
    "cash_register",
    "bar_counter",
    "beer_tap",
)


def draw_tiles() -> dict[str, Image.Image]:
    """Every tile of the town tileset, name -> 32x32 RGBA image, in a stable order (insertion
    order is the tileset order): ground, then overlays, then furniture."""
    return {
        name: draw().image()
        for table in (GROUND, OVERLAYS, FURNITURE)
        for name, draw in table.items()
    }


def draw_meta_tiles() -> dict[str, Image.Image]:
    """Editor-only tiles that the game never draws: 'collision' (translucent red with an X),
    'spawn' (translucent green with a dot)."""
    return {name: draw().image() for name, draw in META.items()}


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------

SKIN = {
    "pale": hexc("ffe0c8"),
    "light": hexc("f6c8a4"),
    "tan": hexc("e2ad82"),
    "olive": hexc("c99468"),
    "brown": hexc("a06a48"),
    "dark": hexc("744a36"),
}
HAIR = {
    "black": hexc("2e2630"),
    "dark": hexc("5a3a2c"),
    "brown": hexc("8c5c38"),
    "auburn": hexc("a8483a"),
    "ginger": hexc("dc7a3c"),
    "blond": hexc("ecc878"),
    "grey": hexc("a9a9b4"),
    "white": hexc("eeeae4"),
    "pink": hexc("ee88b4"),
    "teal": hexc("4fb6b0"),
}
CLOTH = {
    "red": hexc("dc5050"),
    "coral": hexc("f08070"),
    "rust": hexc("c0643a"),
    "orange": hexc("ee9c48"),
    "mustard": hexc("dcb646"),
    "lime": hexc("9ccc5a"),
    "mint": hexc("8ed8b4"),
    "forest": hexc("468c5a"),
    "teal": hexc("3caaa8"),
    "sky": hexc("6eaae6"),
    "cobalt": hexc("4464c8"),
    "navy": hexc("3a4880"),
    "purple": hexc("9664be"),
    "lilac": hexc("c4a0e2"),
    "pink": hexc("ee96be"),
    "white": hexc("f0f0ec"),
    "cream": hexc("f0e2be"),
    "grey": hexc("8c909c"),
    "charcoal": hexc("4e4e5a"),
    "black": hexc("34323c"),
    "denim": hexc("4c6ea8"),
    "khaki": hexc("b8a070"),
    "brown": hexc("7c563c"),
    "olive": hexc("747c48"),
    "maroon": hexc("843246"),
}
HAIR_STYLES = ("short", "long", "bob", "ponytail", "bun", "spiky", "curly", "bald")
_NATURAL_HAIR = ("black", "dark", "brown", "auburn", "ginger", "blond", "grey", "black", "dark")
_SHIRTS = tuple(n for n in CLOTH if n not in ("khaki", "denim"))
_BOTTOMS = ("denim", "navy", "khaki", "charcoal", "black", "brown", "olive", "grey", "maroon")
_HATS = ("red", "navy", "mustard", "forest", "cream", "purple")
_SHOES = hexc("4a3634")


@dataclass(frozen=True)
class Look:
    """What a person wears; colours are keys of SKIN, HAIR and CLOTH."""

    skin: str
    hair: str
    hair_style: str
    shirt: str
    bottom: str
    skirt: bool = False
    glasses: bool = False
    beard: bool = False
    hat: str | None = None
    hat_style: str = "cap"
    apron: bool = False


def _villager(skin: str, hair: str, style: str, shirt: str, bottom: str, *extras: str) -> Look:
    """A Look from a table row; extras are flags ('skirt', 'glasses', 'beard', 'apron') and
    an optional hat as 'cap:colour' or 'beanie:colour'."""
    hats = [e.split(":") for e in extras if ":" in e]
    return Look(
        skin,
        hair,
        style,
        shirt,
        bottom,
        skirt="skirt" in extras,
        glasses="glasses" in extras,
        beard="beard" in extras,
        hat=hats[0][1] if hats else None,
        hat_style=hats[0][0] if hats else "cap",
        apron="apron" in extras,
    )


# The 25 villagers of the Ville, dressed for their jobs (the cafe owner in an apron, the
# student in glasses) and kept apart: no two share hair colour, hair style and shirt.
VILLAGERS: dict[str, Look] = {
    "Isabella Rodriguez": _villager("tan", "dark", "long", "red", "black", "apron"),
    "Maria Lopez": _villager("tan", "brown", "ponytail", "purple", "denim"),
    "Klaus Mueller": _villager("pale", "blond", "short", "forest", "khaki", "glasses"),
    "John Lin": _villager("light", "black", "short", "white", "navy"),
    "Mei Lin": _villager("light", "black", "bun", "lilac", "navy", "skirt"),
    "Eddy Lin": _villager("light", "black", "spiky", "orange", "denim"),
    "Tom Moreno": _villager("olive", "dark", "short", "mustard", "brown", "beard"),
    "Jane Moreno": _villager("olive", "brown", "bob", "coral", "maroon", "skirt"),
    "Sam Moore": _villager("pale", "white", "bald", "olive", "grey", "glasses", "beard"),
    "Jennifer Moore": _villager("pale", "grey", "bun", "teal", "purple", "skirt"),
    "Yuriko Yamamoto": _villager("light", "black", "bob", "grey", "navy", "skirt"),
    "Adam Smith": _villager("pale", "grey", "short", "brown", "charcoal", "glasses", "beard"),
    "Tamara Taylor": _villager("brown", "dark", "curly", "pink", "denim"),
    "Carmen Ortiz": _villager("tan", "black", "long", "lime", "brown", "skirt"),
    "Arthur Burton": _villager("light", "ginger", "bald", "maroon", "black", "beard"),
    "Ryan Park": _villager("light", "black", "short", "sky", "charcoal", "beanie:red"),
    "Giorgio Rossi": _villager("olive", "dark", "curly", "cream", "navy", "beard"),
    "Carlos Gomez": _villager("tan", "black", "short", "teal", "khaki", "cap:mustard"),
    "Latoya Williams": _villager("dark", "black", "curly", "mustard", "denim"),
    "Rajiv Patel": _villager("brown", "black", "short", "navy", "khaki", "beard"),
    "Abigail Chen": _villager("light", "pink", "bob", "charcoal", "black"),
    "Francisco Lopez": _villager("tan", "brown", "spiky", "rust", "denim"),
    "Hailey Johnson": _villager("pale", "blond", "long", "mint", "denim", "skirt"),
    "Ayesha Khan": _villager("olive", "black", "ponytail", "cobalt", "grey"),
    "Wolfgang Schulz": _villager("pale", "ginger", "short", "grey", "navy", "beanie:forest"),
}


def person_look(name: str) -> Look:
    """The look of `name`: the villagers' table if listed, else derived from sha256 of the name
    (stable across processes and machines)."""
    h = hashlib.sha256(name.encode("utf-8")).digest()

    def pick(i: int, options: Sequence[str]) -> str:
        return options[h[i] % len(options)]

    style = pick(2, HAIR_STYLES)
    shirt = pick(3, _SHIRTS)
    hat = pick(9, _HATS) if h[8] < 40 else None
    look = Look(
        skin=pick(0, tuple(SKIN)),
        hair=pick(1, _NATURAL_HAIR),
        hair_style=style,
        shirt=shirt,
        bottom=pick(4, [b for b in _BOTTOMS if b != shirt]),  # no accidental jumpsuits
        skirt=style in ("long", "bob", "bun", "ponytail") and h[5] < 100,
        glasses=h[6] < 56,
        beard=style in ("short", "bald", "curly", "spiky") and h[7] < 70,
        hat=hat,
        hat_style=pick(10, ("cap", "beanie")) if hat else "cap",
    )
    # a villager's entry is complete: nothing random leaks into it
    return VILLAGERS.get(name, look)


FACINGS = ("down", "left", "right", "up")
STEPS = (-1, 0, 1)  # sheet columns: step-left, standing, step-right

_HEAD = oval(16, 9.5, 7, 6.5, power=2.4)  # x 9..22, y 3..15
_AFRO = oval(16, 8.5, 9, 7.5)
_SPIKES = (_gy >= 1 + np.abs(_gx % 4 - 2)) & (_gy <= 5) & (_gx >= 9) & (_gx <= 22)


def _hair_masks(style: str, view: str) -> tuple[Mask, Mask]:
    """(behind, over): hair drawn behind the body, and hair drawn over the head. `view` is
    'front', 'back' or 'side' (facing right)."""
    h, y, x = _HEAD, _gy, _gx
    none = np.zeros_like(h)
    if view == "back":
        cap = h & (y <= 13)
        over = {
            "bald": h & (y >= 10) & (y <= 13) & ~oval(16, 9, 5, 3),
            "long": (h & (y <= 14)) | rect(9, 12, 14, 7),
            "bob": (h & (y <= 14)) | rect(9, 12, 14, 3),
            "ponytail": cap | rect(14, 12, 4, 7),
            "bun": cap | oval(16, 3, 3.5, 2.5),
            "spiky": cap | _SPIKES,
            "curly": _AFRO,
        }.get(style, cap)
        return none, over
    if view == "front":
        short = h & ((y <= 6) | (((x <= 10) | (x >= 21)) & (y <= 9)))
        fringe = h & (y == 7) & (x % 3 == 0) & (x >= 11) & (x <= 20)
        table = {
            "short": (none, short | fringe),
            "bald": (none, h & ((x <= 9) | (x >= 22)) & (y >= 7) & (y <= 10)),
            "long": (rect(8, 5, 16, 14), h & ((y <= 6) | (((x <= 10) | (x >= 21)) & (y <= 11)))),
            "bob": (rect(8, 6, 16, 8), h & ((y <= 6) | (((x <= 10) | (x >= 21)) & (y <= 13)))),
            "ponytail": (oval(23.5, 11, 1.8, 4), short),
            "bun": (oval(16, 3, 3.5, 2.5), short),
            "spiky": (none, short | _SPIKES),
            "curly": (_AFRO, _AFRO & ~(h & (y >= 7) & (x >= 11) & (x <= 20))),
        }
        return table.get(style, table["short"])
    short = h & ((y <= 6) | ((x <= 13) & (y <= 11)) | ((x <= 15) & (y <= 7)))
    table = {
        "short": (none, short),
        "bald": (none, h & (x <= 11) & (y >= 7) & (y <= 11)),
        "long": (rect(9, 7, 6, 12), h & ((y <= 6) | ((x <= 13) & (y <= 13)))),
        "bob": (rect(8, 7, 7, 7), h & ((y <= 6) | ((x <= 14) & (y <= 13)))),
        "ponytail": (rect(6, 7, 4, 3) | rect(6, 9, 3, 7), short),
        "bun": (oval(10, 4, 3, 3), short),
        "spiky": (none, short | _SPIKES),
        "curly": (moved(_AFRO, -2, 0), moved(_AFRO, -2, 0) & ~(h & (y >= 7) & (x >= 15))),
    }
    return table.get(style, table["short"])


def _hat_masks(style: str, view: str) -> tuple[Mask, Mask]:
    """(crown, trim) of a hat: a dome a little wider than the skull, plus a cap's visor or a
    beanie's ribbed band."""
    if style == "beanie":
        crown = oval(16, 7.5, 7.5, 5.5) & (_gy <= 7)
        return crown, crown & (_gy >= 6) & (_gx % 2 == 0)
    crown = oval(16, 7, 7.5, 5) & (_gy <= 6)
    visor = {"front": rect(10, 7, 12, 1), "side": rect(19, 6, 6, 2), "back": rect(0, 0, 0, 0)}
    return crown | visor[view], visor[view]


@dataclass(frozen=True)
class _Colours:
    skin: RGBA
    hair: RGBA
    shirt: RGBA
    bottom: RGBA

    @staticmethod
    def of(look: Look) -> "_Colours":
        return _Colours(SKIN[look.skin], HAIR[look.hair], CLOTH[look.shirt], CLOTH[look.bottom])


def _frame(look: Look, facing: str, step: int) -> Canvas:
    if facing == "left":  # a mirror of facing right keeps the two rows consistent
        c = _frame(look, "right", step)
        c.px = np.ascontiguousarray(c.px[:, ::-1])
        return c
    c = Canvas()
    c.shadow(oval(16, 29.5, 7, 2))
    bob = 1 if step else 0  # the body dips on a stride
    if facing == "right":
        _draw_side(c, look, step, bob)
    else:
        _draw_front(c, look, step, bob, back=facing == "up")
    c.outline_outside()
    return c


def _legs(c: Canvas, look: Look, col: _Colours, legs: Sequence[tuple[Mask, RGBA]]) -> None:
    """Trouser legs (or bare legs under a skirt) ending in a row of shoe."""
    for leg, shade in legs:
        cloth = col.skin if look.skirt else shade
        c.part(leg, cloth, line=None, lo=darker(cloth, 0.15))
        c.paint(rim(leg, 0, 1), _SHOES)


def _draw_front(c: Canvas, look: Look, step: int, bob: int, back: bool) -> None:
    col = _Colours.of(look)

    def dip(m: Mask) -> Mask:  # the upper body sinks by `bob` on a stride
        return moved(m, 0, bob)

    view = "back" if back else "front"
    behind, over = _hair_masks(look.hair_style, view)
    if look.hat:
        behind, over = behind & (_gy >= 6), over & (_gy >= 6)
    if behind.any():
        c.part(dip(behind), col.hair, line=None, lo=darker(col.hair, 0.2))
    legs = []
    for side, x in ((-1, 12), (1, 17)):
        reach = 0 if step == 0 else (1 if side == step else -1)  # forward leg comes nearer
        legs.append((rect(x, 22, 3, 7 + reach), col.bottom))
    _legs(c, look, col, legs)
    if look.skirt:
        c.part(
            dip(polygon([(11, 21), (20, 21), (22, 25), (9, 25)])),
            col.bottom,
            line=None,
            lo=darker(col.bottom, 0.2),
        )
    torso = dip(rounded(11, 15, 10, 8, 1))
    c.part(torso, col.shirt, line=None, lo=darker(col.shirt, 0.18))
    if not look.skirt:
        c.paint(dip(rect(11, 22, 10, 1)), darker(col.bottom, 0.3))  # waistband
    if look.apron and not back:
        c.part(dip(rect(13, 16, 6, 3) | rect(12, 19, 8, 7)), WHITE, line=None, lo=hexc("d8d4cc"))
        c.paint(dip(rect(14, 21, 4, 1)), hexc("d8d4cc"))
    elif look.apron:
        c.paint(dip(rect(11, 20, 10, 1)), WHITE)
        c.paint(dip(pixels([(15, 19), (16, 19), (15, 21), (16, 21), (14, 20), (17, 20)])), WHITE)
    for side, x in ((-1, 9), (1, 21)):
        swing = 0 if step == 0 else (1 if side == -step else -1)  # arms swing against legs
        arm = dip(rect(x, 16, 2, 6 + swing))
        c.part(arm, darker(col.shirt, 0.12), line=None)
        c.paint(arm & (rim(arm, 0, 1) | shifted(rim(arm, 0, 1), 0, 1)), col.skin)
    head = dip(_HEAD)
    c.part(head, col.skin, lo=darker(col.skin, 0.12))
    if not back:
        _face_front(c, look, col, dip)
    _paint_hair(c, look, col, dip(over))
    if not back and look.glasses:
        c.paint(dip(rect(11, 9, 4, 4) | rect(17, 9, 4, 4) | rect(15, 10, 2, 1)), OUTLINE)
        c.paint(dip(rect(12, 10, 2, 2) | rect(18, 10, 2, 2)), hexc("d7eef8"))
        c.paint(dip(rect(13, 10, 1, 2) | rect(18, 10, 1, 2)), OUTLINE)  # eyes behind the lenses
    if look.hat:
        crown, trim = _hat_masks(look.hat_style, view)
        c.part(
            dip(crown),
            CLOTH[look.hat],
            line=darker(CLOTH[look.hat], 0.5),
            hi=lighter(CLOTH[look.hat], 0.3),
        )
        c.paint(dip(trim), darker(CLOTH[look.hat], 0.25))


def _paint_hair(c: Canvas, look: Look, col: _Colours, over: Mask) -> None:
    if look.hair_style == "bald":  # a fringe on the scalp; a line round it would read as ear muffs
        c.part(over, col.hair, line=None, lo=darker(col.hair, 0.15))
    else:
        c.part(over, col.hair, line=darker(col.hair, 0.5), hi=lighter(col.hair, 0.25))
    if look.hair_style == "curly":  # a scatter of curls
        c.paint(over & ~rim(over, 0, 1) & ((_gx + 2 * _gy) % 5 == 0), lighter(col.hair, 0.2))


def _face_front(c: Canvas, look: Look, col: _Colours, dip: Callable[[Mask], Mask]) -> None:
    c.paint(dip(rect(13, 10, 1, 2) | rect(18, 10, 1, 2)), OUTLINE)  # eyes
    c.paint(dip(pixels([(11, 12), (20, 12)])), mix(col.skin, PINK, 0.45))  # cheeks
    if look.beard:
        beard = _HEAD & (_gy >= 12) & (_gx >= 10) & (_gx <= 21)
        c.paint(dip(beard), col.hair)
        c.paint(dip(rect(15, 13, 2, 1)), darker(col.skin, 0.2))  # mouth
    else:
        c.paint(dip(rect(15, 13, 2, 1)), darker(col.skin, 0.25))


def _draw_side(c: Canvas, look: Look, step: int, bob: int) -> None:
    """Facing right; the left-facing row is this mirrored."""
    col = _Colours.of(look)

    def dip(m: Mask) -> Mask:  # the upper body sinks by `bob` on a stride
        return moved(m, 0, bob)

    behind, over = _hair_masks(look.hair_style, "side")
    if look.hat:
        behind, over = behind & (_gy >= 6), over & (_gy >= 6)
    far = darker(col.bottom, 0.25)
    if step == 0:
        legs = [(rect(14, 22, 4, 7) | rect(17, 28, 2, 1), col.bottom)]
    else:
        forward = rect(16, 22, 3, 7) | rect(19, 28, 1, 1)
        backward = rect(12, 22, 3, 6) | rect(11, 27, 1, 1)
        # step-left: near leg forward; step-right: far leg forward
        legs = (
            [(backward, far), (forward, col.bottom)]
            if step < 0
            else [(forward, far), (backward, col.bottom)]
        )
    if behind.any():
        c.part(dip(behind), col.hair, line=None, lo=darker(col.hair, 0.2))
    _legs(c, look, col, legs)
    if look.skirt:
        c.part(
            dip(polygon([(12, 21), (19, 21), (21, 25), (10, 25)])),
            col.bottom,
            line=None,
            lo=darker(col.bottom, 0.2),
        )
    torso = dip(rounded(12, 15, 8, 8, 1))
    c.part(torso, col.shirt, line=None, lo=darker(col.shirt, 0.18))
    if not look.skirt:
        c.paint(dip(rect(12, 22, 8, 1)), darker(col.bottom, 0.3))
    if look.apron:
        c.paint(dip(rect(18, 17, 2, 8)), WHITE)
        c.paint(dip(rect(18, 15, 1, 2)), hexc("d8d4cc"))  # neck strap
    head = dip(_HEAD | pixels([(23, 11)]))  # a one-pixel nose shows which way they face
    c.part(head, col.skin, lo=darker(col.skin, 0.12))
    c.paint(dip(rect(20, 10, 1, 2)), OUTLINE)  # eye
    c.dot(20, 13 + bob, mix(col.skin, PINK, 0.45))
    if look.beard:
        c.paint(dip(_HEAD & (_gy >= 12) & (_gx >= 13)), col.hair)
    _paint_hair(c, look, col, dip(over))
    c.paint(dip(rect(14, 10, 1, 2)) & ~dip(over), darker(col.skin, 0.2))  # ear
    if look.glasses:
        c.paint(dip(rect(18, 9, 4, 4) | rect(13, 10, 5, 1)), OUTLINE)
        c.paint(dip(rect(19, 10, 2, 2)), hexc("d7eef8"))
        c.paint(dip(rect(20, 10, 1, 2)), OUTLINE)
    if look.hat:
        crown, trim = _hat_masks(look.hat_style, "side")
        c.part(
            dip(crown),
            CLOTH[look.hat],
            line=darker(CLOTH[look.hat], 0.5),
            hi=lighter(CLOTH[look.hat], 0.3),
        )
        c.paint(dip(trim), darker(CLOTH[look.hat], 0.25))
    swing = {0: 15, -1: 13, 1: 17}[step]  # near arm swings against the near leg
    arm = dip(rect(swing, 16, 3, 6))
    c.part(arm, darker(col.shirt, 0.1), line=darker(col.shirt, 0.4))
    c.paint(arm & (rim(arm, 0, 1) | shifted(rim(arm, 0, 1), 0, 1)), col.skin)


def draw_person(name: str) -> Image.Image:
    """A character sprite sheet for the person `name`: 96x128 RGBA, 3 columns (walk frames:
    step-left, standing, step-right) x 4 rows (facing down, left, right, up), 32x32 frames.
    The look comes from `person_look(name)`, so any name works and always looks the same."""
    look = person_look(name)
    sheet = Image.new("RGBA", (len(STEPS) * TILE, len(FACINGS) * TILE), CLEAR)
    for row, facing in enumerate(FACINGS):
        for col, step in enumerate(STEPS):
            sheet.paste(_frame(look, facing, step).image(), (col * TILE, row * TILE))
    return sheet


# --------------------------------------------------------------------------------------------
# Previews
# --------------------------------------------------------------------------------------------


def _tiled(tile: Image.Image, size: tuple[int, int]) -> Image.Image:
    out = Image.new("RGBA", size)
    for y in range(0, size[1], tile.height):
        for x in range(0, size[0], tile.width):
            out.paste(tile, (x, y))
    return out


def _zoom(img: Image.Image, scale: int) -> Image.Image:
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def contact_sheet(
    tiles: dict[str, Image.Image],
    columns: int = 8,
    *,
    background: Image.Image | None = None,
    scale: int = 1,
) -> Image.Image:
    """Lay images out in a grid with their names under them (for previews). A `background`
    tile, if given, is repeated under each image; `scale` zooms by nearest neighbour."""
    font = ImageFont.load_default()
    width = max((img.width for img in tiles.values()), default=TILE) * scale
    height = max((img.height for img in tiles.values()), default=TILE) * scale
    label_w = max((int(font.getlength(n)) for n in tiles), default=0)
    cell_w, cell_h = max(width, label_w) + 8, height + 18
    rows = max(1, -(-len(tiles) // columns))
    sheet = Image.new("RGBA", (columns * cell_w, rows * cell_h), (52, 50, 62, 255))
    draw = ImageDraw.Draw(sheet)
    backdrop = _zoom(background, scale) if background is not None else None
    for i, (name, img) in enumerate(tiles.items()):
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        zoomed = _zoom(img, scale)
        under = _tiled(backdrop, zoomed.size) if backdrop else Image.new("RGBA", zoomed.size)
        under.alpha_composite(zoomed)
        sheet.alpha_composite(under, (x + (cell_w - zoomed.width) // 2, y + 2))
        text_x = x + (cell_w - int(font.getlength(name))) // 2
        draw.text((text_x, y + height + 4), name, fill=(236, 234, 240, 255), font=font)
    return sheet


def write_previews(directory: str = "/tmp") -> list[str]:
    """Write art_tiles.png (every tile on grass, then on wooden floor, at 2x) and
    art_people.png (the villagers' sheets) into `directory`; returns the paths."""
    tiles = draw_tiles() | draw_meta_tiles()
    on_grass = contact_sheet(tiles, 10, background=tiles["grass"], scale=2)
    on_wood = contact_sheet(tiles, 10, background=tiles["floor_wood"], scale=2)
    both = Image.new(
        "RGBA", (on_grass.width, on_grass.height + on_wood.height + 8), (20, 20, 24, 255)
    )
    both.paste(on_grass, (0, 0))
    both.paste(on_wood, (0, on_grass.height + 8))
    people = {name: draw_person(name) for name in VILLAGERS}
    paths = [f"{directory}/art_tiles.png", f"{directory}/art_people.png"]
    both.save(paths[0])
    contact_sheet(people, 5, background=tiles["grass"], scale=2).save(paths[1])
    return paths


if __name__ == "__main__":
    print("\n".join(write_previews()))
