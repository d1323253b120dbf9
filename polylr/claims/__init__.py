"""Claims: each theorem of the papers as a named, checkable object with verdicts."""
