"""Engines: see the package docstring of polylr."""
