"""The code blocks of docs/testing.md run as tests, so the page cannot rot.

A block preceded by ``<!-- example: NAME -->`` is Python; ``<!-- output: NAME -->`` is the text
the example NAME raises. The property-test example is executed here, at import, so that pytest
collects the test function it defines (with the Markdown file's line numbers in tracebacks).
"""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
TEXT = DOC.read_text(encoding="utf-8")


def block(kind: str, name: str) -> tuple[str, int]:
    """The code of a tagged block and the line number (0-based) where it starts in the file."""
    match = re.search(rf"<!-- {kind}: {name} -->\n```\w*\n(.*?)```", TEXT, re.DOTALL)
    assert match, f"docs/testing.md has no block tagged '{kind}: {name}'"
    return match.group(1), TEXT.count("\n", 0, match.start(1))


EXAMPLE, EXAMPLE_LINE = block("example", "limit-claim")
_defined = set(globals())
exec(compile("\n" * EXAMPLE_LINE + EXAMPLE, str(DOC), "exec"), globals())
EXAMPLE_TESTS = sorted(k for k in set(globals()) - _defined if k.startswith("test_"))


def test_the_limit_claim_example_is_one_short_test():
    assert EXAMPLE_TESTS == ["test_eta_coefficient_converges_to_LKy_over_m"]
    assert len(EXAMPLE.strip().splitlines()) < 20


def test_the_failure_message_shown_is_the_one_raised():
    code, line = block("example", "wrong-rate")
    expected, _ = block("output", "wrong-rate")
    with pytest.raises(AssertionError) as info:
        exec(compile("\n" * line + code, str(DOC), "exec"), {})
    assert f"AssertionError: {info.value}\n" == expected
