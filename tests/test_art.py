"""The procedural art: every tile and sprite exists, has the right shape, is deterministic, and
ground tiles tile without seams."""

import importlib
import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` does not put the repository root on the path
    sys.path.insert(0, str(ROOT))
art = importlib.import_module("assets.generate.art")

GROUND = [
    "grass", "grass_2", "grass_3", "flowers", "dirt", "road", "road_line_h", "road_line_v",
    "crosswalk", "sidewalk", "plaza", "sand", "water", "water_2", "floor_wood",
    "floor_wood_dark", "floor_tile", "floor_bath", "floor_carpet", "floor_carpet_blue",
    "floor_stone", "door", "wall", "window"
]  # fmt: skip
OVERLAYS = [
    "tree", "pine", "bush", "rock", "hedge", "flower_bed", "lamp_post", "fence", "bench",
    "fountain", "garden_plot", "sign"
]  # fmt: skip
FURNITURE = [
    "bed_head", "bed_foot", "desk", "chair", "table", "dining_table", "stove", "fridge",
    "kitchen_sink", "counter", "toilet", "shower", "bath_sink", "bathtub", "bookshelf",
    "piano", "sofa", "tv", "wardrobe", "coffee_machine", "cash_register", "bar_counter",
    "beer_tap", "pool_table", "blackboard", "lectern", "student_desk", "computer", "easel",
    "store_shelf", "medicine_shelf", "podium", "microphone", "plant", "lab_bench",
    "washing_machine", "dresser", "armchair", "grill", "drum_kit", "guitar"
]  # fmt: skip
VILLAGERS = [
    "Isabella Rodriguez", "Maria Lopez", "Klaus Mueller", "John Lin", "Mei Lin", "Eddy Lin",
    "Tom Moreno", "Jane Moreno", "Sam Moore", "Jennifer Moore", "Yuriko Yamamoto", "Adam Smith",
    "Tamara Taylor", "Carmen Ortiz", "Arthur Burton", "Ryan Park", "Giorgio Rossi",
    "Carlos Gomez", "Latoya Williams", "Rajiv Patel", "Abigail Chen", "Francisco Lopez",
    "Hailey Johnson", "Ayesha Khan", "Wolfgang Schulz",
]  # fmt: skip

# Ground tiles whose texture is soft noise: a seam would stand out against a smooth interior.
NATURAL = ["grass", "grass_2", "grass_3", "flowers", "dirt", "road", "sand", "water", "water_2"]
# Ground tiles that must repeat in both directions (door and window sit inside a wall line).
REPEATING = [n for n in GROUND if n not in ("door", "window")]
FAMILIES = [("grass", "grass_2", "grass_3", "flowers"), ("water", "water_2")]


@pytest.fixture(scope="module")
def tiles() -> dict[str, Image.Image]:
    return art.draw_tiles()


@pytest.fixture(scope="module")
def sheets() -> dict[str, Image.Image]:
    return {name: art.draw_person(name) for name in VILLAGERS}


def rgb(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)[..., :3]


def alpha(img: Image.Image) -> np.ndarray:
    return np.asarray(img)[..., 3]


def column_steps(a: np.ndarray) -> np.ndarray:
    """Mean colour change between each pair of neighbouring columns."""
    return np.abs(np.diff(a, axis=1)).mean(axis=(0, 2))


def seam(left: np.ndarray, right: np.ndarray) -> float:
    """Mean colour change across the edge where `right` is placed after `left`."""
    return float(np.abs(right[:, 0] - left[:, -1]).mean())


def seam_ok(left: np.ndarray, right: np.ndarray, natural: bool) -> bool:
    """A seam must be no stronger than the tile's own structure: for soft noise, no more than
    1.5x its average neighbouring-column change; for patterns (slabs, planks, bricks), no more
    than its strongest internal edge (a grout line may fall on the tile edge)."""
    steps = np.concatenate([column_steps(left), column_steps(right)])
    limit = 1.5 * steps.mean() if natural else steps.max()
    return seam(left, right) <= limit + 1e-9


def test_tile_names_in_tileset_order(tiles: dict[str, Image.Image]) -> None:
    assert list(tiles) == GROUND + OVERLAYS + FURNITURE
    assert list(art.GROUND_TILES) == GROUND
    assert list(art.OVERLAY_TILES) == OVERLAYS
    assert list(art.FURNITURE_TILES) == FURNITURE


@pytest.mark.parametrize("name", GROUND + OVERLAYS + FURNITURE)
def test_tile_is_32px_rgba(tiles: dict[str, Image.Image], name: str) -> None:
    assert art.TILE == 32
    assert tiles[name].size == (32, 32)
    assert tiles[name].mode == "RGBA"


@pytest.mark.parametrize("name", GROUND)
def test_ground_tiles_are_opaque(tiles: dict[str, Image.Image], name: str) -> None:
    assert (alpha(tiles[name]) == 255).all()


@pytest.mark.parametrize("name", OVERLAYS + FURNITURE)
def test_overlays_have_transparent_background_and_a_body(
    tiles: dict[str, Image.Image], name: str
) -> None:
    a = alpha(tiles[name])
    assert (a == 0).any(), "the floor must show through around the object"
    assert (a == 255).mean() > 0.1, "the object must be there, not a speck"
    assert a[0, 0] < 255 or a[0, 31] < 255 or a[31, 0] < 255 or a[31, 31] < 255


def test_meta_tiles() -> None:
    meta = art.draw_meta_tiles()
    assert list(meta) == ["collision", "spawn"]
    for img in meta.values():
        assert img.size == (32, 32) and img.mode == "RGBA"
        a = alpha(img)
        assert ((a > 0) & (a < 255)).mean() > 0.5, "mostly translucent"
    red, green = rgb(meta["collision"]).mean(axis=(0, 1)), rgb(meta["spawn"]).mean(axis=(0, 1))
    assert red[0] > 2 * red[1] and green[1] > 2 * green[0]
    # the X reaches the corners of the collision tile; the spawn dot sits in the middle
    assert alpha(meta["collision"])[5, 5] > alpha(meta["collision"])[5, 16]
    assert alpha(meta["spawn"])[16, 16] > alpha(meta["spawn"])[5, 5]


def test_same_call_gives_identical_bytes() -> None:
    first, second = art.draw_tiles(), art.draw_tiles()
    assert list(first) == list(second)
    for name in first:
        assert first[name].tobytes() == second[name].tobytes(), name
    assert art.draw_person("Klaus Mueller").tobytes() == art.draw_person("Klaus Mueller").tobytes()
    assert art.draw_meta_tiles()["spawn"].tobytes() == art.draw_meta_tiles()["spawn"].tobytes()


def test_art_does_not_depend_on_the_process() -> None:
    """Python's hash() is salted per process; two processes with different salts must agree."""
    code = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from assets.generate import art;"
        "h = hashlib.sha256();"
        "[h.update(i.tobytes()) for i in art.draw_tiles().values()];"
        "[h.update(art.draw_person(n).tobytes()) for n in ('Mei Lin', 'Someone New')];"
        "print(h.hexdigest())"
    )
    digests = set()
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = subprocess.run(
            [sys.executable, "-c", code, str(ROOT)], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_villager_sheets(sheets: dict[str, Image.Image]) -> None:
    for name, sheet in sheets.items():
        assert sheet.size == (96, 128), name
        assert sheet.mode == "RGBA", name
    for (a, sa), (b, sb) in itertools.combinations(sheets.items(), 2):
        assert sa.tobytes() != sb.tobytes(), (a, b)


def test_villagers_look_visibly_different(sheets: dict[str, Image.Image]) -> None:
    """Not just different bytes: the standing, facing-down frames of any two villagers differ
    in a good number of pixels, and no two share the same clothes-and-hair description."""
    looks = [art.person_look(n) for n in VILLAGERS]
    assert len(set(looks)) == len(looks)
    frames = {n: np.asarray(s.crop((32, 0, 64, 32))).astype(int) for n, s in sheets.items()}
    for a, b in itertools.combinations(VILLAGERS, 2):
        changed = (np.abs(frames[a] - frames[b]).sum(axis=2) > 30).sum()
        assert changed >= 40, (a, b, changed)


def test_villager_overrides_are_applied() -> None:
    assert art.person_look("Klaus Mueller").glasses
    assert art.person_look("Isabella Rodriguez").apron
    assert not art.person_look("Eddy Lin").glasses


def test_frames_of_a_sheet(sheets: dict[str, Image.Image]) -> None:
    sheet = np.asarray(sheets["Maria Lopez"])
    frames = {
        (row, col): sheet[row * 32 : row * 32 + 32, col * 32 : col * 32 + 32]
        for row in range(4)
        for col in range(3)
    }
    for key, frame in frames.items():
        assert (frame[..., 3] == 255).sum() > 150, key  # a whole person, not a sliver
        assert (frame[0, :, 3] < 255).all() and (frame[:, 0, 3] < 255).all(), "margin kept"
    for row in range(4):
        step_l, stand, step_r = (frames[row, col] for col in range(3))
        assert not np.array_equal(step_l, stand) and not np.array_equal(step_r, stand)
        assert not np.array_equal(step_l, step_r)
    # facing down, up, left and right all look different; left is right mirrored
    assert not np.array_equal(frames[0, 1], frames[3, 1])
    assert not np.array_equal(frames[1, 1], frames[0, 1])
    assert np.array_equal(frames[1, 1], frames[2, 1][:, ::-1])


@pytest.mark.parametrize("name", ["Someone New", "Zoë Ångström", "x", ""])
def test_any_name_makes_a_person(name: str) -> None:
    sheet = art.draw_person(name)
    assert sheet.size == (96, 128) and sheet.mode == "RGBA"
    assert (alpha(sheet) == 255).sum() > 12 * 150


def test_new_names_differ_from_each_other() -> None:
    names = [f"Visitor {i}" for i in range(20)]
    looks = {art.person_look(n) for n in names}
    assert len(looks) >= 18
    assert len({art.draw_person(n).tobytes() for n in names}) == len(names)


@pytest.mark.parametrize("name", REPEATING)
def test_ground_tile_tiles_with_itself(tiles: dict[str, Image.Image], name: str) -> None:
    a = rgb(tiles[name])
    natural = name in NATURAL
    assert seam_ok(a, a, natural), f"left-right seam {seam(a, a):.1f}"
    t = np.transpose(a, (1, 0, 2))  # rows as columns: the top-bottom seam
    assert seam_ok(t, t, natural), f"top-bottom seam {seam(t, t):.1f}"


@pytest.mark.parametrize("family", FAMILIES)
def test_ground_variants_tile_with_each_other(
    tiles: dict[str, Image.Image], family: tuple[str, ...]
) -> None:
    for left, right in itertools.permutations(family, 2):
        a, b = rgb(tiles[left]), rgb(tiles[right])
        assert seam_ok(a, b, natural=True), (left, right)
        ta, tb = np.transpose(a, (1, 0, 2)), np.transpose(b, (1, 0, 2))
        assert seam_ok(ta, tb, natural=True), (left, "above", right)


def test_seam_check_catches_a_seam(tiles: dict[str, Image.Image]) -> None:
    """The seam assertion can fail: a gradient, or grass cut off-centre, shows a hard edge."""
    gradient = np.tile(np.linspace(0, 255, 32)[None, :, None], (32, 1, 3))
    assert not seam_ok(gradient, gradient, natural=True)
    grass = rgb(tiles["grass"])
    lit = grass.copy()
    lit[:, 16:] = np.clip(lit[:, 16:] * 1.3, 0, 255)  # the right half brighter: a visible step
    assert not seam_ok(lit, lit, natural=True)


def test_walls_join_in_every_direction(tiles: dict[str, Image.Image]) -> None:
    wall = rgb(tiles["wall"])
    for a in (wall, np.transpose(wall, (1, 0, 2))):
        assert seam_ok(a, a, natural=False)
    # a window continues the brickwork at its edges
    window = rgb(tiles["window"])
    assert np.array_equal(window[:, :3], wall[:, :3]) and np.array_equal(window[:3], wall[:3])


@pytest.mark.parametrize("name", art.SIDE_BY_SIDE_TILES)
def test_pieces_that_continue_side_by_side(tiles: dict[str, Image.Image], name: str) -> None:
    img = np.asarray(tiles[name]).astype(int)
    assert np.array_equal(img[:, 0, 3], img[:, 31, 3]), "same silhouette at both ends"
    solid = img[:, 0, 3] == 255
    assert solid.sum() >= 6
    assert np.abs(img[solid, 0, :3] - img[solid, 31, :3]).mean() < 20


def test_counter_row_pieces_share_a_silhouette(tiles: dict[str, Image.Image]) -> None:
    """Sink, stove, till and coffee machine sit in a counter row without a step."""
    edge = alpha(tiles["counter"])[:, 0]
    for name in ("kitchen_sink", "stove", "cash_register", "coffee_machine"):
        assert np.array_equal(alpha(tiles[name])[:, 0], edge), name
        assert np.array_equal(alpha(tiles[name])[:, 31], edge), name
    assert np.array_equal(alpha(tiles["beer_tap"])[:, 0], alpha(tiles["bar_counter"])[:, 0])


def test_bed_halves_join(tiles: dict[str, Image.Image]) -> None:
    head, foot = (
        np.asarray(tiles["bed_head"]).astype(int),
        np.asarray(tiles["bed_foot"]).astype(int),
    )
    assert np.array_equal(head[31, :, 3], foot[0, :, 3]), "same width where they meet"
    solid = head[31, :, 3] == 255
    assert solid.sum() >= 20
    assert np.abs(head[31, solid, :3] - foot[0, solid, :3]).mean() < 25
    assert (foot[29:, 8:24, 3] < 255).any(), "the foot ends inside its tile"


def test_contact_sheet_lays_out_names() -> None:
    tiles = {"a": Image.new("RGBA", (32, 32), (255, 0, 0, 255)), "bb": Image.new("RGBA", (32, 32))}
    sheet = art.contact_sheet(tiles, columns=2)
    assert sheet.mode == "RGBA"
    assert sheet.width >= 64 and sheet.height > 32
    zoomed = art.contact_sheet(tiles, columns=1, scale=2)
    assert zoomed.height > 2 * 64
    pixels = np.asarray(sheet)
    assert (pixels[..., 0] == 255).sum() >= 32 * 32  # the red tile is drawn
    assert len({tuple(p) for p in pixels[34:, :, :3].reshape(-1, 3)}) > 2  # label text
