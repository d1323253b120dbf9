"""Engines: the deep-linear training program and its backends, samplers, the infinite-width limit, the symbolic expansion."""
