"""Claims: each checkable statement of the papers, one module per claim family."""
