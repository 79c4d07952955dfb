"""gdlinear: gradient dynamics of linear and two-layer linear networks.

The library behind the book on Gidel, Bach & Lacoste-Julien (NeurIPS 2019), *Implicit
Regularization of Discrete Gradient Dynamics in Linear Neural Networks*.

Modules: :mod:`~gdlinear.problems`, :mod:`~gdlinear.estimators`, :mod:`~gdlinear.theory`,
:mod:`~gdlinear.dynamics`; ``plotting``, ``widgets`` and ``exercises`` are imported lazily on
first access (so ``import gdlinear`` does not import matplotlib or ipywidgets).

Examples
--------
>>> import gdlinear as gl
>>> P = gl.problems.commuting([1.0, 0.5])
"""

from __future__ import annotations

import importlib
from typing import Any

from . import dynamics, estimators, problems, theory
from .errors import DivergenceError

__version__ = "0.1.0"

__all__ = [
    "DivergenceError",
    "__version__",
    "dynamics",
    "estimators",
    "exercises",
    "plotting",
    "problems",
    "theory",
    "widgets",
]

_LAZY = ("plotting", "widgets", "exercises")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gdlinear' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
