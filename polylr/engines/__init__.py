"""Engines: producers of loss values and polynomials."""
