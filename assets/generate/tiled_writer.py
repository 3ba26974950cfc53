"""Write a town plan as a Tiled map (.tmx) with external tilesets (.tsx + .png).

Tiled reads and edits these files; the game loads them with pytmx. Tile layers use CSV so
that a diff of the map is readable.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from PIL import Image

from assets.generate.plan import TownPlan

TILED_VERSION = 'version="1.10" tiledversion="1.10.2"'
COLUMNS = 16


def write_tileset(tiles: dict[str, Image.Image], name: str, folder: Path, size: int) -> None:
    """A tileset image (a grid of tiles) and its .tsx, each tile carrying its name as `kind`."""
    rows = -(-len(tiles) // COLUMNS)
    sheet = Image.new("RGBA", (COLUMNS * size, rows * size), (0, 0, 0, 0))
    for i, image in enumerate(tiles.values()):
        sheet.paste(image, ((i % COLUMNS) * size, (i // COLUMNS) * size))
    sheet.save(folder / f"{name}.png", optimize=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<tileset {TILED_VERSION} name="{name}" tilewidth="{size}" tileheight="{size}" '
        f'tilecount="{len(tiles)}" columns="{COLUMNS}">',
        f' <image source="{name}.png" width="{sheet.width}" height="{sheet.height}"/>',
    ]
    for i, kind in enumerate(tiles):
        lines.append(
            f' <tile id="{i}"><properties><property name="kind" value="{kind}"/>'
            "</properties></tile>"
        )
    lines.append("</tileset>")
    (folder / f"{name}.tsx").write_text("\n".join(lines) + "\n")


def write_map(
    plan: TownPlan,
    path: Path,
    world: str,
    tilesets: list[tuple[str, list[str]]],  # (relative .tsx path, tile names in order)
    size: int,
) -> None:
    gid: dict[str, int] = {}
    first = 1
    refs = []
    for source, names in tilesets:
        refs.append(f' <tileset firstgid="{first}" source="{source}"/>')
        for i, name in enumerate(names):
            gid.setdefault(name, first + i)
        first += len(names)

    def layer(lid: int, name: str, cells: dict, visible: bool = True) -> str:
        rows = []
        for y in range(plan.height):
            row = [str(gid[cells[(x, y)]]) if (x, y) in cells else "0" for x in range(plan.width)]
            rows.append(",".join(row))
        vis = "" if visible else ' visible="0"'
        return (
            f' <layer id="{lid}" name="{name}" width="{plan.width}" height="{plan.height}"{vis}>\n'
            f'  <data encoding="csv">\n' + ",\n".join(rows) + "\n  </data>\n </layer>"
        )

    body = [
        layer(1, "ground", plan.ground),
        layer(2, "walls", plan.walls),
        layer(3, "furniture", plan.furniture),
        layer(4, "collision", dict.fromkeys(plan.blocked, "collision"), visible=False),
    ]
    oid = 1
    for lid, group in enumerate(("sectors", "arenas", "objects", "spawns"), start=5):
        vis = ' visible="0"' if group in ("sectors", "arenas") else ""
        out = [f' <objectgroup id="{lid}" name="{group}"{vis}>']
        for placed in (p for p in plan.places if p.layer == group):
            r = placed.rect
            props = "".join(
                f'<property name="{k}" type="bool" value="{v}"/>'
                for k, v in placed.properties.items()
            )
            inner = f"<properties>{props}</properties>" if props else ""
            out.append(
                f'  <object id="{oid}" name={quoteattr(placed.name)} x="{r.x0 * size}" '
                f'y="{r.y0 * size}" width="{r.width * size}" height="{r.height * size}">'
                f"{inner}</object>"
            )
            oid += 1
        out.append(" </objectgroup>")
        body.append("\n".join(out))
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<map {TILED_VERSION} orientation="orthogonal" renderorder="right-down" '
        f'width="{plan.width}" height="{plan.height}" tilewidth="{size}" tileheight="{size}" '
        f'infinite="0" nextlayerid="9" nextobjectid="{oid}">\n'
        f' <properties><property name="world" value={quoteattr(world)}/></properties>'
    )
    path.write_text("\n".join([head, *refs, *body, "</map>"]) + "\n")


def render(plan: TownPlan, tiles: dict[str, Image.Image], size: int, scale: float) -> Image.Image:
    """The map as one picture (ground, walls, furniture), scaled for a preview."""
    full = Image.new("RGBA", (plan.width * size, plan.height * size))
    for cells in (plan.ground, plan.walls, plan.furniture):
        for (x, y), name in cells.items():
            tile = tiles[name]
            full.alpha_composite(tile, (x * size, y * size))
    small = (round(full.width * scale), round(full.height * scale))
    return full.resize(small, Image.Resampling.BOX)
