"""The Ville: the town of the paper's 25 villagers, laid out on a 120 x 86 tile grid.

Four bands of buildings face three east-west streets; a north-south street joins them.
Each building is a sector; its rooms are arenas; its furniture makes the game objects.
"""

from __future__ import annotations

import math

from assets.generate.plan import Item, Rect, TownPlan, item

WIDTH, HEIGHT = 120, 86
STREETS = (18, 43, 67)  # top row of each 3-row east-west street
AVENUE = 58  # left column of the 3-column north-south street

BED = item("bed", "bed_head", "bed_foot")
DESK = item("desk", "desk")
CLOSET = item("closet", "wardrobe")


def bedroom(arena: str, extra: tuple[Item, ...] = ()) -> list[Item]:
    beds = 2 if " and " in arena else 1
    return [Item(BED.object, BED.pattern, count=beds), DESK, CLOSET, *extra]


BATHROOM = [item("toilet", "toilet"), item("shower", "shower"), item("bathroom sink", "bath_sink")]
RESTROOM = [item("toilet", "toilet"), item("bathroom sink", "bath_sink")]
KITCHEN = [  # the table first: free-standing pieces need the most room
    item("dining table", "chair dining_table", where="middle"),
    item("stove", "stove"),
    item("refrigerator", "fridge"),
    item("kitchen sink", "kitchen_sink"),
    item("kitchen counter", "counter counter"),
]
LIVING = [
    item("sofa", "sofa sofa"),
    item("tv", "tv"),
    item("bookshelf", "bookshelf"),
    item("armchair", "armchair"),
]

FLOORS = {
    "bathroom": "floor_bath",
    "restroom": "floor_bath",
    "kitchen": "floor_tile",
    "main room": "floor_wood_dark",
    "common room": "floor_carpet",
    "hallway": "floor_stone",
    "lobby": "floor_stone",
    "library": "floor_carpet_blue",
    "council chamber": "floor_carpet",
    "pub": "floor_wood_dark",
    "store": "floor_stone",
    "market": "floor_stone",
    "pharmacy": "floor_tile",
    "storage room": "floor_stone",
    "laboratory": "floor_tile",
}


def floor_of(arena: str) -> str:
    for key, floor in FLOORS.items():
        if key in arena:
            return floor
    return "floor_wood"


def rooms_of(arena: str) -> list[Item]:
    """The usual furniture of a room by its kind (bedrooms, bathrooms, kitchens, ...)."""
    if "bathroom" in arena:
        return BATHROOM
    if "restroom" in arena:
        return RESTROOM
    if "kitchen" in arena:
        return KITCHEN
    if arena in ("main room", "common room"):
        return LIVING
    if "bedroom" in arena or arena.endswith("'s room"):
        return bedroom(arena)
    return []


# Extra pieces that make a room someone's own: (sector, arena) -> items.
SPECIAL: dict[tuple[str, str], list[Item]] = {
    ("Lin family's house", "main room"): [item("piano", "piano")],
    ("Moore family's house", "studio"): [
        item("easel", "easel", count=2),
        item("art supplies", "dresser"),
    ],
    ("Adam Smith's house", "main room"): [
        item("bookshelf", "bookshelf", count=2),
        item("desk", "desk"),
    ],
    ("Yuriko Yamamoto's house", "main room"): [item("desk", "computer")],
    ("Tamara Taylor and Carmen Ortiz's house", "main room"): [item("desk", "desk")],
    ("Dorm for Oak Hill College", "Maria Lopez's room"): [item("computer", "computer")],
    ("Artist's co-living space", "Rajiv Patel's room"): [item("easel", "easel")],
    ("Artist's co-living space", "Abigail Chen's room"): [item("computer", "computer")],
    ("Artist's co-living space", "Francisco Lopez's room"): [item("mirror", "dresser")],
    ("Artist's co-living space", "common room"): [item("piano", "piano")],
    ("Ryan Park's apartment", "main room"): [item("computer", "computer")],
    ("Giorgio Rossi's apartment", "main room"): [item("blackboard", "blackboard")],
    ("Carlos Gomez's apartment", "main room"): [item("bookshelf", "bookshelf")],
}

PUBLIC_ROOMS: dict[tuple[str, str], list[Item]] = {
    ("Hobbs Cafe", "cafe"): [
        item("cafe counter", "counter counter counter cash_register"),
        item("coffee machine", "coffee_machine"),
        item("piano", "piano"),
        item("customer seating", "chair table chair", where="middle", count=4),
        item("plant", "plant", count=2),
    ],
    ("Hobbs Cafe", "kitchen"): [
        item("cooking area", "stove stove"),
        item("refrigerator", "fridge"),
        item("kitchen sink", "kitchen_sink"),
    ],
    ("The Rose and Crown Pub", "pub"): [
        item("bar counter", "bar_counter bar_counter bar_counter beer_tap"),
        item("stage", "microphone drum_kit guitar"),
        item("pool table", "pool_table", where="middle"),
        item("pub tables", "chair table chair", where="middle", count=3),
    ],
    ("The Rose and Crown Pub", "kitchen"): [
        item("grill", "grill"),
        item("refrigerator", "fridge"),
        item("kitchen sink", "kitchen_sink"),
    ],
    ("Harvey Oak Supply Store", "store"): [
        item("checkout counter", "counter cash_register"),
        item("shelves", "store_shelf store_shelf", count=3),
        item("garden supplies", "garden_plot plant"),
    ],
    ("Harvey Oak Supply Store", "storage room"): [item("storage shelves", "store_shelf", count=3)],
    ("The Willows Market and Pharmacy", "market"): [
        item("checkout counter", "counter cash_register"),
        item("grocery shelves", "store_shelf store_shelf", count=3),
        item("refrigerated section", "fridge fridge"),
    ],
    ("The Willows Market and Pharmacy", "pharmacy"): [
        item("pharmacy counter", "counter counter"),
        item("medicine shelves", "medicine_shelf medicine_shelf", count=2),
    ],
    ("The Willows Market and Pharmacy", "storage room"): [
        item("storage shelves", "store_shelf", count=2)
    ],
    ("Town Hall", "lobby"): [
        item("reception desk", "desk desk"),
        item("notice board", "sign"),
        item("bench", "bench bench", count=2),
    ],
    ("Town Hall", "council chamber"): [
        item("podium", "podium"),
        item("council seats", "chair", where="middle", count=6),
    ],
    ("Town Hall", "mayor's office"): [
        item("desk", "desk"),
        item("computer", "computer"),
        item("bookshelf", "bookshelf"),
    ],
    ("Oak Hill College", "classroom"): [
        item("blackboard", "blackboard blackboard"),
        item("lectern", "lectern"),
        item("student desks", "student_desk", where="middle", count=6),
    ],
    ("Oak Hill College", "library"): [
        item("bookshelves", "bookshelf bookshelf", count=3),
        item("reading tables", "chair table chair", where="middle", count=2),
        item("computer", "computer"),
    ],
    ("Oak Hill College", "laboratory"): [
        item("lab bench", "lab_bench lab_bench", count=2),
        item("sink", "kitchen_sink"),
    ],
    ("Oak Hill College", "hallway"): [
        item("bench", "bench bench", count=2),
        item("plant", "plant", count=2),
    ],
}

HOUSES = [
    ("Lin family's house", ["Mei and John Lin's bedroom", "Eddy Lin's bedroom", "bathroom"]),
    ("Moreno family's house", ["Tom and Jane Moreno's bedroom", "bathroom"]),
    ("Moore family's house", ["Sam and Jennifer Moore's bedroom", "studio", "bathroom"]),
    ("Adam Smith's house", ["bedroom", "bathroom"]),
    ("Yuriko Yamamoto's house", ["bedroom", "bathroom"]),
    (
        "Tamara Taylor and Carmen Ortiz's house",
        ["Tamara Taylor's bedroom", "Carmen Ortiz's bedroom", "bathroom"],
    ),
]
APARTMENTS = [
    "Arthur Burton's apartment",
    "Ryan Park's apartment",
    "Isabella Rodriguez's apartment",
    "Giorgio Rossi's apartment",
    "Carlos Gomez's apartment",
]
ARTISTS = ["Latoya Williams", "Rajiv Patel", "Abigail Chen", "Francisco Lopez", "Hailey Johnson"]
STUDENTS = ["Klaus Mueller", "Maria Lopez", "Ayesha Khan", "Wolfgang Schulz"]


def build() -> TownPlan:
    plan = TownPlan(WIDTH, HEIGHT)
    _outdoors(plan)
    doors_down, doors_up = [], []  # (sector, rooms) to furnish; door y for the front path

    def furnish(sector: str, rooms: dict[str, Rect]) -> None:
        for arena, rect in rooms.items():
            items = PUBLIC_ROOMS.get((sector, arena)) or rooms_of(arena)
            plan.furnish(rect, arena, items + SPECIAL.get((sector, arena), []), floor_of(arena))
            if (
                "bedroom" in arena
                or arena.endswith("'s room")
                or (arena == "main room" and "apartment" in sector)
            ):
                plan.spawn(rect)

    # North: six houses facing the first street.
    for i, (sector, back) in enumerate(HOUSES):
        x = (3, 21, 39, 64, 82, 100)[i]
        weights = [(a, 1 if a == "bathroom" else 2) for a in back]
        rooms = plan.building(
            sector,
            Rect(x, 3, x + 15, 15),
            [("main room", 3), ("kitchen", 2)],
            weights,
            back_depth=5,
            door="down",
        )
        furnish(sector, rooms)
        doors_down.append(Rect(x, 3, x + 15, 15))

    # Second band: the cafe, the pub, the stores and the town hall, facing north.
    shops = [
        ("Hobbs Cafe", Rect(3, 23, 20, 36), [("cafe", 1)], [("kitchen", 2), ("restroom", 1)]),
        (
            "The Rose and Crown Pub",
            Rect(23, 23, 40, 36),
            [("pub", 1)],
            [("kitchen", 2), ("restroom", 1)],
        ),
        ("Harvey Oak Supply Store", Rect(43, 23, 55, 35), [("store", 1)], [("storage room", 1)]),
        (
            "The Willows Market and Pharmacy",
            Rect(63, 23, 82, 36),
            [("market", 3), ("pharmacy", 2)],
            [("storage room", 2), ("restroom", 1)],
        ),
        (
            "Town Hall",
            Rect(86, 23, 105, 38),
            [("lobby", 1)],
            [("council chamber", 3), ("mayor's office", 2), ("restroom", 1)],
        ),
    ]
    for sector, box, front, back in shops:
        depth = 4 if box.height < 15 else 6
        rooms = plan.building(sector, box, front, back, back_depth=depth, door="up", public=True)
        furnish(sector, rooms)
        doors_up.append(box)

    # Third band: the college, its dorm and the apartments.
    college = Rect(3, 48, 30, 63)
    rooms = plan.building(
        "Oak Hill College",
        college,
        [("hallway", 1)],
        [("classroom", 3), ("library", 3), ("laboratory", 2)],
        back_depth=10,
        door="up",
        public=True,
    )
    furnish("Oak Hill College", rooms)
    dorm = Rect(33, 48, 55, 61)
    rooms = plan.building(
        "Dorm for Oak Hill College",
        dorm,
        [("common room", 3), ("kitchen", 2), ("bathroom", 2)],
        [(f"{name}'s room", 1) for name in STUDENTS],
        back_depth=5,
        door="up",
    )
    furnish("Dorm for Oak Hill College", rooms)
    doors_up += [college, dorm]
    for i, sector in enumerate(APARTMENTS):
        box = Rect(63 + 11 * i, 48, 72 + 11 * i, 58)
        rooms = plan.building(
            sector,
            box,
            [("main room", 1)],
            [("bathroom", 1), ("kitchen", 1)],
            back_depth=3,
            door="up",
        )
        for arena, rect in rooms.items():
            items = rooms_of(arena)
            if arena == "main room":
                items = [BED, DESK, item("sofa", "sofa sofa"), CLOSET]
            if arena == "kitchen":
                items = [
                    item("stove", "stove"),
                    item("refrigerator", "fridge"),
                    item("kitchen sink", "kitchen_sink"),
                ]
            if arena == "bathroom":
                items = BATHROOM
            plan.furnish(rect, arena, items + SPECIAL.get((sector, arena), []), floor_of(arena))
        plan.spawn(rooms["main room"])
        doors_up.append(box)

    # Fourth band: the artists' house and Johnson Park.
    coliving = Rect(3, 72, 34, 83)
    rooms = plan.building(
        "Artist's co-living space",
        coliving,
        [("common room", 3), ("kitchen", 2), ("bathroom", 1)],
        [(f"{name}'s room", 1) for name in ARTISTS],
        back_depth=5,
        door="up",
    )
    furnish("Artist's co-living space", rooms)
    doors_up.append(coliving)
    _park(plan, Rect(63, 72, 117, 84))

    for box in doors_down:
        _front_path(plan, box, box.y1 + 1, 1)
    for box in doors_up:
        _front_path(plan, box, box.y0 - 1, -1)
    _trees(plan)
    return plan


def _outdoors(plan: TownPlan) -> None:
    rng = plan.rng
    for y in range(HEIGHT):
        for x in range(WIDTH):
            r = rng.random()
            plan.ground[(x, y)] = (
                "grass"
                if r < 0.7
                else "grass_2"
                if r < 0.85
                else "grass_3"
                if r < 0.95
                else "flowers"
            )
    for top in STREETS:
        plan.paint(Rect(1, top - 1, WIDTH - 2, top - 1), "sidewalk")
        plan.paint(Rect(1, top, WIDTH - 2, top + 2), "road")
        plan.paint(Rect(1, top + 1, WIDTH - 2, top + 1), "road_line_h")
        plan.paint(Rect(1, top + 3, WIDTH - 2, top + 3), "sidewalk")
        plan.reserved.update(Rect(0, top - 2, WIDTH - 1, top + 4).tiles())
    y0, y1 = STREETS[0] - 1, STREETS[-1] + 3
    for y in range(y0, y1 + 1):
        if not any(top <= y <= top + 2 for top in STREETS):
            plan.paint(Rect(AVENUE, y, AVENUE + 2, y), "road")
            plan.ground[(AVENUE + 1, y)] = "road_line_v"
            plan.ground[(AVENUE - 1, y)] = plan.ground[(AVENUE + 3, y)] = "sidewalk"
    for top in STREETS:  # zebra crossings beside each junction
        for x in (AVENUE - 2, AVENUE + 4):
            plan.paint(Rect(x, top, x, top + 2), "crosswalk")
    plan.reserved.update(Rect(AVENUE - 2, y0, AVENUE + 4, y1).tiles())
    for x in range(WIDTH):  # a wood all round the town
        for y in (0, HEIGHT - 1):
            plan.put((x, y), "tree")
    for y in range(HEIGHT):
        for x in (0, WIDTH - 1):
            plan.put((x, y), "pine")


def _front_path(plan: TownPlan, box: Rect, y: int, step: int) -> None:
    """Paving from the building's door to the sidewalk."""
    edge = box.y1 if step > 0 else box.y0
    for x in range(box.x0, box.x1 + 1):
        if plan.ground.get((x, edge)) == "door":
            while plan.ground.get((x, y)) not in ("sidewalk", None):
                plan.ground[(x, y)] = "plaza"
                plan.reserved.add((x, y))
                y += step


def _park(plan: TownPlan, box: Rect) -> None:
    plan.name("sectors", "Johnson Park", box, public="true")
    plan.reserved.update(box.tiles())
    gates = {box.x0 + 7, box.x0 + 27, box.x0 + 47}
    for t in box.tiles():
        x, y = t
        edge = x in (box.x0, box.x1) or y in (box.y0, box.y1)
        if edge and not (y == box.y0 and x in gates):
            plan.put(t, "hedge")
    lawn = Rect(box.x0 + 1, box.y0 + 1, box.x0 + 33, box.y1 - 1)
    garden = Rect(box.x0 + 34, box.y0 + 1, box.x1 - 1, box.y1 - 1)
    plan.name("arenas", "park", lawn)
    plan.name("arenas", "garden", garden)
    path_y = box.y0 + 6
    for x in range(box.x0 + 1, box.x1):
        plan.ground[(x, path_y)] = "dirt"
    for gx in gates:
        for y in range(box.y0, path_y):
            plan.ground[(gx, y)] = "dirt"
    # The pond: an ellipse of water; its bounding box is the game object "pond".
    cx, cy, rx, ry = box.x0 + 15, box.y0 + 3, 5.5, 2.2
    pond = Rect(math.ceil(cx - rx), box.y0 + 1, math.floor(cx + rx), box.y0 + 5)
    for x, y in pond.tiles():
        if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1:
            plan.ground[(x, y)] = "water" if (x + y) % 3 else "water_2"
            plan.blocked.add((x, y))
    plan.name("objects", "pond", pond)
    fountain = (box.x0 + 26, box.y0 + 9)
    plan.put(fountain, "fountain")
    plan.name("objects", "fountain", Rect(*fountain, *fountain))
    for x in (box.x0 + 4, box.x0 + 10, box.x0 + 20, box.x0 + 30):
        plan.put((x, path_y + 1), "bench")
        plan.name("objects", "park bench", Rect(x, path_y + 1, x, path_y + 1))
    for x, y in ((box.x0 + 25, box.y0 + 11), (box.x0 + 27, box.y0 + 11)):
        plan.put((x, y), "bench")
        plan.name("objects", "park bench", Rect(x, y, x, y))
    plots = Rect(garden.x0 + 3, path_y + 2, garden.x0 + 14, path_y + 4)
    for x, y in plots.tiles():
        if x % 2 == 0:
            plan.put((x, y), "garden_plot")
    plan.name("objects", "garden plots", plots)
    beds = Rect(garden.x0 + 3, box.y0 + 2, garden.x0 + 12, box.y0 + 3)
    for t in beds.tiles():
        plan.put(t, "flower_bed")
    plan.name("objects", "flower beds", beds)
    for x in range(garden.x0 + 16, garden.x1 - 1, 3):
        plan.put((x, box.y0 + 2), "tree")
        plan.put((x + 1, box.y1 - 2), "tree")
    rng = plan.rng
    for x, y in lawn.tiles():  # shade trees on the lawn, clear of paths and benches
        near = [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        if any(
            plan.ground.get(t) in ("dirt", "water", "water_2") or t in plan.furniture for t in near
        ):
            continue
        if rng.random() < 0.07:
            plan.put((x, y), "tree")
    plan.put((garden.x0 + 17, path_y + 3), "bench")
    plan.name(
        "objects", "garden bench", Rect(garden.x0 + 17, path_y + 3, garden.x0 + 17, path_y + 3)
    )


def _trees(plan: TownPlan) -> None:
    """Trees, bushes and rocks on open grass, never beside a door, street or building."""
    rng = plan.rng
    for y in range(1, HEIGHT - 1):
        for x in range(1, WIDTH - 1):
            near = [(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
            if any(t in plan.reserved for t in near) or (x, y) in plan.furniture:
                continue
            r = rng.random()
            if r < 0.08:
                plan.put((x, y), "tree" if r < 0.055 else "pine")
            elif r < 0.1:
                plan.put((x, y), "bush")
            elif r < 0.105:
                plan.put((x, y), "rock")
