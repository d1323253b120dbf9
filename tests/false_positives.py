"""The measured failure rate of an assertion over seeded runs (the false-positive tests of polylr.testing)."""


def failure_rate(call, runs):
    """Share of ``call(k)``, k = 0 … runs − 1, that raise AssertionError."""
    fails = 0
    for k in range(runs):
        try:
            call(k)
        except AssertionError:
            fails += 1
    return fails / runs
