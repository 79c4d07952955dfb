"""Small input-validation helpers shared by the library.

Every error message says what is wrong and what is allowed, e.g.
``"eta must be a positive finite number, got -0.1"``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_array",
    "real",
    "positive",
    "nonneg",
    "nonneg_int",
    "int_in_range",
    "choice",
    "steps_array",
]


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(
    name: str,
    x: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: tuple[int | None, ...] | None = None,
    finite: bool = True,
    what: str = "",
) -> np.ndarray:
    """Convert ``x`` to a float64 array and check its dimension, shape and finiteness.

    ``shape`` entries that are ``None`` are not checked. ``what`` describes the expected shape
    in messages, e.g. ``"(n, d)"``.
    """
    if x is None:
        shape_txt = f" of shape {what}" if what else ""
        raise TypeError(f"{name} must be a real array{shape_txt}, got None")
    if isinstance(x, str | bytes) or np.iscomplexobj(x):
        raise TypeError(f"{name} must be a real numeric array, got {_describe(x)}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real numeric array, got {_describe(x)}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            dims = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(
                f"{name} must be a {dims} array{(' ' + what) if what else ''}, "
                f"got shape {arr.shape}"
            )
    if shape is not None:
        tail = arr.shape[arr.ndim - len(shape):] if arr.ndim >= len(shape) else None
        ok = tail is not None and all(s is None or s == t for s, t in zip(shape, tail, strict=True))
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(
                f"{name} has shape {arr.shape}, expected {what or want} "
                f"(trailing dimensions {want})"
            )
    if finite and not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} non-finite value(s) (NaN or inf); all entries must be finite"
        )
    return arr


def real(name: str, x: Any) -> float:
    """A finite real scalar."""
    if isinstance(x, bool | np.bool_) or isinstance(x, str | bytes):
        raise TypeError(f"{name} must be a finite real number, got {_describe(x)}")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {_describe(x)}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite real number, got {v}")
    return v


def positive(name: str, x: Any) -> float:
    """A finite real scalar > 0."""
    try:
        v = real(name, x)
    except ValueError:
        raise ValueError(f"{name} must be a positive finite number, got {x!r}") from None
    except TypeError:
        raise TypeError(f"{name} must be a positive finite number, got {_describe(x)}") from None
    if v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {v:g}")
    return v


def nonneg(name: str, x: Any) -> float:
    """A finite real scalar >= 0."""
    try:
        v = real(name, x)
    except ValueError:
        raise ValueError(f"{name} must be a non-negative finite number, got {x!r}") from None
    except TypeError:
        raise TypeError(
            f"{name} must be a non-negative finite number, got {_describe(x)}"
        ) from None
    if v < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {v:g}")
    return v


def _as_int(name: str, x: Any, allowed: str) -> int:
    if isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be {allowed}, got {x!r}")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real) and np.isfinite(float(x)) and float(x).is_integer():
        return int(x)
    if isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be {allowed}, got {x!r}")
    raise TypeError(f"{name} must be {allowed}, got {_describe(x)}")


def nonneg_int(name: str, x: Any) -> int:
    """An integer >= 0 (integral floats such as ``1e4`` are accepted)."""
    v = _as_int(name, x, "a non-negative integer")
    if v < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {v}")
    return v


def int_in_range(name: str, x: Any, lo: int, hi: int) -> int:
    """An integer in ``lo..hi`` (inclusive)."""
    allowed = f"an integer in {lo}..{hi}"
    v = _as_int(name, x, allowed)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be {allowed}, got {v}")
    return v


def choice(name: str, x: Any, allowed: Sequence[str]) -> str:
    """One of the strings in ``allowed``."""
    if not isinstance(x, str) or x not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {opts}, got {x!r}")
    return x


def steps_array(name: str, x: Any, *, upper: int | None = None) -> np.ndarray:
    """A sorted 1-D array of distinct non-negative integers (optionally <= ``upper``)."""
    arr = as_array(name, x, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one step, got an empty array")
    if np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must contain integers, got non-integer values")
    out = arr.astype(np.int64)
    if np.any(out < 0):
        raise ValueError(f"{name} must contain non-negative steps, got minimum {out.min()}")
    if upper is not None and np.any(out > upper):
        raise ValueError(f"{name} must contain steps within 0..{upper}, got maximum {out.max()}")
    if np.any(np.diff(out) <= 0):
        raise ValueError(f"{name} must be strictly increasing (sorted, no repeats)")
    return out
