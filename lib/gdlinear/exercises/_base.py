"""Building blocks of the exercise checkers.

Every checker returns a short success string (``"Correct: ..."``) so that a notebook cell ending
with the call displays it, and raises ``AssertionError`` otherwise, with a message that names what
is wrong (the value against the expected one and the relative error, the wrong shape, a NaN, an
unfilled stub), a diagnosis of the most common slips when one fits (a flipped sign, a factor of 2,
a transposed matrix), and the exercise's own hint.

Examples
--------
>>> check_close("T_1", 1 / (2 * np.log1p(0.1)), 5.246, rtol=1e-3)
'Correct: T_1 = 5.24603 (relative error 5.6e-06).'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["check_close", "check_equal", "check_shape", "check_true"]


def _fail(message: str, hint: str) -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise AssertionError(message)


def _check_filled(name: str, answer: Any, hint: str) -> None:
    if answer is None or answer is Ellipsis or answer is NotImplemented:
        _fail(f"{name} is {answer!r}: the exercise stub is not filled in yet "
              f"(replace the placeholder by your answer).", hint)


def _as_float_array(name: str, answer: Any, hint: str) -> np.ndarray:
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{name} must be a number or an array of numbers, got {type(answer).__name__} "
              f"{_short(answer)}.", hint)
    return arr


def _short(x: Any, n: int = 60) -> str:
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _slip(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str:
    """A diagnosis of a common slip, or ''."""
    if not np.all(np.isfinite(a)) or not np.any(e != 0):
        return ""
    for factor, what in ((-1.0, "the sign looks flipped"),
                         (2.0, "your answer is twice the expected value (a factor 2?)"),
                         (0.5, "your answer is half the expected value (a factor 1/2?)")):
        if np.allclose(a, factor * e, rtol=max(rtol, 1e-9), atol=atol):
            return what
    return ""


def check_close(
    name: str,
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    hint: str = "",
    reveal: bool = True,
) -> str:
    """Check that a number or an array is close to the expected value.

    Passes when ``|answer - expected| <= atol + rtol |expected|`` entrywise (as ``np.isclose``).

    Parameters
    ----------
    name : str
        What the answer is, as the learner knows it (e.g. ``"T_1"``, ``"w after 10 steps"``).
    answer : number or array_like
        The learner's answer.
    expected : number or array_like
        The reference value.
    rtol, atol : float
        Relative and absolute tolerances.
    hint : str
        Specific advice appended to the failure message.
    reveal : bool
        Show the expected value in the failure message (``False`` for predict-then-run questions).

    Returns
    -------
    str
        A one-line success message.

    Raises
    ------
    AssertionError
        With the value against the expected one, the relative error and the hint.

    Examples
    --------
    >>> check_close("w_1(10)", 0.25, 0.25)
    'Correct: w_1(10) = 0.25 (relative error 0.0e+00).'
    """
    _check_filled(name, answer, hint)
    a = _as_float_array(name, answer, hint)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        if a.size == 1 and e.size == 1:
            a, e = a.reshape(()), e.reshape(())
        elif a.ndim == 2 and a.shape == e.shape[::-1] and np.allclose(a.T, e, rtol=rtol,
                                                                      atol=atol):
            _fail(f"{name} has shape {a.shape} but the expected shape is {e.shape}: your matrix "
                  f"looks transposed (its transpose is correct).", hint)
        else:
            _fail(f"{name} has shape {a.shape} but the expected shape is {e.shape}.", hint)
    bad_nonfinite = ~np.isfinite(a) & np.isfinite(e)
    if np.any(bad_nonfinite):
        where = "" if a.ndim == 0 else (
            f" at {int(bad_nonfinite.sum())} of {a.size} entries (first at index "
            f"{tuple(int(i) for i in np.argwhere(bad_nonfinite)[0])})")
        _fail(f"{name} contains NaN or infinity{where}; the expected value is finite "
              f"(did the iteration diverge, or divide by zero?).", hint)
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(a - e)
        rel = np.where(e != 0, diff / np.abs(e), diff)
    rel = np.where(np.isnan(rel), 0.0, rel)  # matching NaNs
    tol_text = f"tolerance rtol = {rtol:g}" + (f", atol = {atol:g}" if atol else "")
    if np.all(ok):
        worst = float(np.max(rel)) if rel.size else 0.0
        if a.ndim == 0:
            return f"Correct: {name} = {_fmt(float(a))} (relative error {worst:.1e})."
        return (f"Correct: {name} matches the expected array of shape {a.shape} "
                f"(max relative error {worst:.1e}).")
    slip = _slip(a, e, rtol, atol)
    slip_text = f" Note: {slip}." if slip else ""
    if a.ndim == 0:
        exp_text = f", expected {_fmt(float(e))}" if reveal else ""
        err_kind = "relative" if e != 0 else "absolute"
        _fail(f"{name} = {_fmt(float(a))}{exp_text} ({err_kind} error {float(rel):.2e}, "
              f"{tol_text}).{slip_text}", hint)
    idx = np.unravel_index(int(np.argmax(np.where(ok, -np.inf, rel))), a.shape)
    idx_t = tuple(int(i) for i in idx)
    exp_text = f" instead of {_fmt(float(e[idx]))}" if reveal else ""
    err_kind = "relative" if e[idx] != 0 else "absolute"
    _fail(f"{name} differs from the expected value at {int((~ok).sum())} of {a.size} entries; "
          f"the worst is at index {idx_t}: {_fmt(float(a[idx]))}{exp_text} "
          f"({err_kind} error {float(rel[idx]):.2e}, {tol_text}).{slip_text}", hint)
    raise AssertionError("unreachable")  # pragma: no cover


def check_equal(
    name: str,
    answer: Any,
    expected: Any,
    *,
    hint: str = "",
    case_sensitive: bool = False,
    reveal: bool = True,
) -> str:
    """Check an exact answer: an integer, a string (e.g. a regime name), a boolean, a tuple.

    Strings are compared after stripping spaces, and case-insensitively unless
    ``case_sensitive=True``. Integers given as floats (``3.0``) count as equal to ``3``.

    Parameters
    ----------
    name : str
        What the answer is.
    answer, expected : Any
        The learner's answer and the reference.
    hint : str
        Specific advice appended to the failure message.
    case_sensitive : bool
        Compare strings with their case.
    reveal : bool
        Show the expected value in the failure message.

    Returns
    -------
    str
        A one-line success message.

    Examples
    --------
    >>> check_equal("regime", "Overshoot", "overshoot")
    "Correct: regime = 'overshoot'."
    """
    _check_filled(name, answer, hint)
    a, e = answer, expected
    if isinstance(a, str) and isinstance(e, str):
        a, e = a.strip(), e.strip()
        if not case_sensitive:
            a, e = a.lower(), e.lower()
    try:
        same = bool(np.all(a == e)) and np.shape(a) == np.shape(e)
    except (TypeError, ValueError):
        same = False
    if same:
        return f"Correct: {name} = {e!r}."
    exp_text = f", expected {expected!r}" if reveal else " is not the expected answer"
    _fail(f"{name} = {_short(answer)}{exp_text}.", hint)
    raise AssertionError("unreachable")  # pragma: no cover


def check_shape(
    name: str, answer: Any, shape: Sequence[int | None], *, hint: str = ""
) -> str:
    """Check the shape of an array (``None`` in ``shape`` matches any length).

    Parameters
    ----------
    name : str
        What the array is.
    answer : array_like
        The learner's array.
    shape : sequence of int or None
        The expected shape, e.g. ``(p, d)`` or ``(None, 3)``.
    hint : str
        Specific advice appended to the failure message.

    Returns
    -------
    str
        A one-line success message.

    Examples
    --------
    >>> check_shape("W", np.zeros((3, 5)), (3, 5))
    'Correct: W has shape (3, 5).'
    """
    _check_filled(name, answer, hint)
    got = np.shape(answer)
    want = tuple(shape)
    match = len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want,
                                                                            strict=False))
    if match:
        return f"Correct: {name} has shape {got}."
    want_text = "(" + ", ".join("any" if w is None else str(w) for w in want) + \
        ("," if len(want) == 1 else "") + ")"
    extra = ""
    if len(got) == 2 and len(want) == 2 and got[::-1] == want:
        extra = " It looks transposed."
    _fail(f"{name} has shape {got} but the expected shape is {want_text}.{extra}", hint)
    raise AssertionError("unreachable")  # pragma: no cover


def check_true(what: str, condition: Any, *, hint: str = "", detail: str = "") -> str:
    """Check a property that is not a single value (monotone loss, ordering, a bound...).

    Parameters
    ----------
    what : str
        The property, phrased so that it reads after "Correct:" (e.g. ``"the loss never
        increases"``).
    condition : bool or array_like of bool
        True (all True) when the property holds.
    hint : str
        Specific advice appended to the failure message.
    detail : str
        What was measured (e.g. ``"the loss increases at step 12"``), shown on failure.

    Returns
    -------
    str
        A one-line success message.

    Examples
    --------
    >>> check_true("the modes are learned in order of sigma_i", [True, True])
    'Correct: the modes are learned in order of sigma_i.'
    """
    _check_filled(what, condition, hint)
    try:
        arr = np.asarray(condition)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype != np.bool_:
        _fail(f"the condition for '{what}' must be a boolean or an array of booleans (e.g. "
              f"`x <= y`), got {type(condition).__name__} {_short(condition)}.", hint)
    holds = bool(np.all(arr))
    if holds:
        return f"Correct: {what}."
    _fail(f"Not yet: {what} does not hold" + (f" ({detail})." if detail else "."), hint)
    raise AssertionError("unreachable")  # pragma: no cover
