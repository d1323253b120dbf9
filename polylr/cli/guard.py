"""One line, never a traceback: what a command prints when the environment, not the code, fails.

:func:`guarded` wraps a command: a :class:`~polylr.PolylrError`, a full disk or an unreadable
file (``OSError``), an exhausted memory, JAX unable to start the backend that ``JAX_PLATFORMS``
asks for, or an ``EOFError`` (which click would print as a bare "Aborted.") become one line
``error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys

import typer

from ..core.errors import PolylrError


def print_error(message: str) -> None:
    """``error: message`` as one line on stderr (``error:`` in bold red on a terminal, unless
    ``NO_COLOR`` is set); the message verbatim (no markup)."""
    colour = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    label = "\033[1;31merror:\033[0m" if colour else "error:"
    print(f"{label} {_one_line(message)}", file=sys.stderr)


def fail(message: str) -> None:
    """:func:`print_error`, then exit with status 2."""
    print_error(message)
    raise typer.Exit(2)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _check_backend() -> None:
    """When JAX_PLATFORMS names a platform, start JAX's backend now: without the device (or its
    plugin) JAX raises a RuntimeError or a bare AssertionError deep inside the first array op."""
    plat = os.environ.get("JAX_PLATFORMS", "").strip()
    if not plat:
        return
    import jax

    try:
        jax.devices()
    except Exception as e:  # noqa: BLE001 - any failure here means the backend cannot start
        fail(
            f"JAX cannot start the backend JAX_PLATFORMS={plat!r} asks for "
            f"({_one_line(repr(e))[:200]}); unset JAX_PLATFORMS or set it to 'cpu'"
        )


def guarded(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _check_backend()
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except PolylrError as e:
            fail(_one_line(e))
        except MemoryError:
            fail("out of memory: use fewer seeds, smaller widths or fewer steps")
        except EOFError as e:
            fail(f"unexpected end of input ({_one_line(e) or 'EOF'})")
        except OSError as e:
            where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
            fail(f"cannot read or write{where}: {e.strerror or _one_line(e)}")
        except RuntimeError as e:
            text = str(e)
            if "backend" in text.lower() and ("initialize" in text.lower() or "unknown" in text.lower()):
                plat = os.environ.get("JAX_PLATFORMS", "")
                fail(
                    f"JAX cannot start the backend{f' JAX_PLATFORMS={plat!r} asks for' if plat else ''} "
                    f"({_one_line(text)[:200]}); unset JAX_PLATFORMS or set it to 'cpu'"
                )
            raise

    return wrapper
