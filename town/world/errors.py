"""Errors of the world model, each naming what it is about."""


class MapError(ValueError):
    """A map file that cannot be used, with the file and the layer or object at fault."""


class UnknownPlace(KeyError):
    """An address that names no place on the map."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Unreachable(ValueError):
    """No walkable path joins two tiles."""
