"""`make assets`: draw the tiles and sprites and write the Tiled map of the Ville."""

from __future__ import annotations

import sys
from pathlib import Path

from assets.generate import art, the_ville
from assets.generate.tiled_writer import render, write_map, write_tileset

ASSETS = Path(__file__).resolve().parents[1]
VILLAGERS = [
    "Isabella Rodriguez",
    "Maria Lopez",
    "Klaus Mueller",
    "John Lin",
    "Mei Lin",
    "Eddy Lin",
    "Tom Moreno",
    "Jane Moreno",
    "Sam Moore",
    "Jennifer Moore",
    "Yuriko Yamamoto",
    "Adam Smith",
    "Tamara Taylor",
    "Carmen Ortiz",
    "Arthur Burton",
    "Ryan Park",
    "Giorgio Rossi",
    "Carlos Gomez",
    "Latoya Williams",
    "Rajiv Patel",
    "Abigail Chen",
    "Francisco Lopez",
    "Hailey Johnson",
    "Ayesha Khan",
    "Wolfgang Schulz",
]
GENERIC_SPRITES = 16  # for people who are not villagers: chosen by name


def sprite_file(name: str) -> str:
    return name.lower().replace(" ", "_") + ".png"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else ASSETS  # another folder: to compare with what is committed
    return generate(out)


def generate(out: Path) -> int:
    tiles, meta = art.draw_tiles(), art.draw_meta_tiles()
    folder = out / "tilesets"
    folder.mkdir(parents=True, exist_ok=True)
    write_tileset(tiles, "town", folder, art.TILE)
    write_tileset(meta, "meta", folder, art.TILE)

    plan = the_ville.build()
    missing = {n for cells in (plan.ground, plan.walls, plan.furniture) for n in cells.values()}
    missing -= set(tiles)
    if missing:
        print(f"the plan uses tiles that art.py does not draw: {sorted(missing)}", file=sys.stderr)
        return 1
    for warning in plan.warnings:
        print("warning:", warning, file=sys.stderr)
    maps = out / "maps"
    maps.mkdir(exist_ok=True)
    write_map(
        plan,
        maps / "the_ville.tmx",
        "the Ville",
        [("../tilesets/town.tsx", list(tiles)), ("../tilesets/meta.tsx", list(meta))],
        art.TILE,
    )
    render(plan, tiles, art.TILE, 0.25).convert("RGB").save(maps / "the_ville_preview.png")

    sprites = out / "sprites"
    sprites.mkdir(exist_ok=True)
    for name in VILLAGERS:
        art.draw_person(name).save(sprites / sprite_file(name), optimize=True)
    for i in range(GENERIC_SPRITES):
        art.draw_person(f"villager {i}").save(sprites / f"villager_{i:02d}.png", optimize=True)
    print(f"wrote {maps / 'the_ville.tmx'}, {len(tiles)} tiles, {len(VILLAGERS)} villagers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
