"""gdlinear: gradient dynamics of linear and two-layer linear networks."""

__version__ = "0.1.0"
