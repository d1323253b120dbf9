"""Analysis: see the package docstring of polylr."""
