"""Checkers for the book's coding exercises.

Each chapter's checkers live in their own module ``gdlinear.exercises.chNN`` (``ch05`` for chapter
5, ...), written by the chapter's author. A checker takes the learner's answer, compares it with
the library's reference computation, and either returns a short success message or raises
``AssertionError`` with a message that says *what* is wrong (the value against the expected one,
the relative error, the wrong shape) and a hint specific to the likely mistake.

The shared building blocks are in :mod:`gdlinear.exercises._base`:

- :func:`check_close` (numbers and arrays, with tolerances),
- :func:`check_equal` (exact answers: integers, strings, booleans),
- :func:`check_shape` (array shapes),
- :func:`check_true` (any condition).

A chapter module typically reads::

    from ._base import check_close

    def check_critical_time(answer, sigma=0.5, eta=0.1):
        expected = 1 / (2 * np.log1p(eta * sigma))
        return check_close("T_i", answer, expected, rtol=1e-6,
                           hint="Use the discrete rate ln(1 + eta sigma), not eta sigma.")

Checkers may import any part of :mod:`gdlinear` except :mod:`gdlinear.widgets`.
"""

import importlib
import re
from typing import Any

from ._base import check_close, check_equal, check_shape, check_true

__all__ = ["check_close", "check_equal", "check_shape", "check_true"]


def __getattr__(name: str) -> Any:
    """Import a chapter's checkers on first access: ``gl.exercises.ch02`` works after
    ``import gdlinear as gl`` without an explicit ``import gdlinear.exercises.ch02``."""
    if re.fullmatch(r"ch\d\d", name):
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(
                f"no checkers for chapter {name[2:]} ({__name__}.{name})"
            ) from None
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
