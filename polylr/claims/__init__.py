"""Claims: see the package docstring of polylr."""
