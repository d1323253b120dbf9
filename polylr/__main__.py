"""``python -m polylr`` is the ``polylr`` command."""

from .cli.main import main

main()
