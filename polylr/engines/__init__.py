"""Engines: producers of η-polynomials (finite width, infinite-width limit, closed forms)."""
