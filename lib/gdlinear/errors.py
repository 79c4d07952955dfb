"""Exceptions raised by :mod:`gdlinear`."""

from __future__ import annotations

__all__ = ["DivergenceError"]


class DivergenceError(RuntimeError):
    """Gradient descent blew up (non-finite or exploding iterates).

    Attributes
    ----------
    eta : float
        The step size of the run that diverged.
    step : int
        The iteration at which the blow-up was detected (the iterates are checked every few
        tens of steps and at every recorded step, so the blow-up happened at or before it).
    bound : float
        The stability bound on the step size for this model: ``1/sigma_1`` for the two-layer
        network, ``2/lambda_max`` for the linear model.
    rule : str
        The bound written as a formula, e.g. ``"1/sigma_1"``.

    Examples
    --------
    >>> raise DivergenceError(eta=3.0, step=40, bound=1.0, rule="1/sigma_1")  # doctest: +SKIP
    """

    def __init__(self, eta: float, step: int, bound: float, rule: str = "1/sigma_1",
                 model: str = "two-layer network") -> None:
        self.eta = float(eta)
        self.step = int(step)
        self.bound = float(bound)
        self.rule = rule
        self.model = model
        ratio = self.eta / self.bound if self.bound > 0 else float("inf")
        super().__init__(
            f"gradient descent diverged (detected at step {self.step}) with eta = {self.eta:.6g}: "
            f"the stability bound for the {model} is eta < {rule} = {self.bound:.6g} "
            f"(here eta is {ratio:.3g} times the bound); use a smaller step size"
        )

    def __reduce__(self):  # keep the exception picklable (e.g. across processes)
        return (type(self), (self.eta, self.step, self.bound, self.rule, self.model))
