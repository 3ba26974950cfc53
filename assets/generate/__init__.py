"""Regenerates every asset of the town from code: tiles, sprites and the Tiled map."""
