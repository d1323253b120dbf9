"""Core types: the setup, the η-polynomial, errors and keys (no dependency on other layers)."""
