"""Report: tables, JSON, plots, documents and campaigns; one atomic writer."""
