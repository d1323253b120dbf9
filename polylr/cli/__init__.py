"""The ``polylr`` command line: typer commands that parse, call claims and analysis, and print."""

from .main import app as app
from .main import main as main
