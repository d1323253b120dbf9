"""Engines: the deep-linear training program, its algebras (backends) and the weight samplers."""
