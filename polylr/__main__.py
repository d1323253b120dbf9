"""``python -m polylr`` is the ``polylr`` command."""

from ._cli import main

main()
