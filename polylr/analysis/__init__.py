"""Analysis: argmins, sweeps over widths and seeds, rates with confidence intervals, verdict rules."""
