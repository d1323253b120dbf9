"""docs/cli.md quotes the help text of every command; this test keeps the quotes equal to the
program's output. After changing a command, regenerate them with

    python tests/test_cli_help_doc.py        # rewrites the ```text block under each `## `polylr …`` heading
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
# A heading "## `polylr …`" followed (after a blank line) by a ```text block: the help of that command.
BLOCK = re.compile(r"^## `(polylr[^`]*)`\n\n```text\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def help_text(command: str) -> str:
    from importlib import import_module

    app = import_module("polylr.cli.main").app
    args = command.split()[1:]
    r = CliRunner().invoke(app, [*args, "--help"], prog_name="polylr", env={"COLUMNS": "100", "TERMINAL_WIDTH": "100"})
    assert r.exit_code == 0, r.output
    return "\n".join(line.rstrip() for line in r.stdout.splitlines()).strip("\n")


def quoted() -> dict[str, str]:
    return {m.group(1): m.group(2).strip("\n") for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))}


def documented_commands() -> list[str]:
    from importlib import import_module

    return ["polylr", *(f"polylr {name}" for name in sorted(get_command(import_module("polylr.cli.main").app).commands))]


def test_every_command_is_documented():
    assert sorted(quoted()) == sorted(documented_commands())


def test_quoted_help_texts_are_the_programs():
    stale = [command for command, text in quoted().items() if text != help_text(command)]
    assert stale == [], f"docs/cli.md is stale for {stale}: run python tests/test_cli_help_doc.py"


def rewrite() -> None:
    text = PAGE.read_text(encoding="utf-8")
    PAGE.write_text(BLOCK.sub(lambda m: f"## `{m.group(1)}`\n\n```text\n{help_text(m.group(1))}\n```", text),
                    encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    rewrite()
