"""The chapter 10 checker accepts the right answer and rejects typical wrong ones with the hint."""

from __future__ import annotations

import numpy as np
import pytest

from gdlinear import estimators
from gdlinear.exercises import ch10


def right(split, alpha):
    P, C, Wt = split.train, split.population.Sx, split.W_teacher
    A = np.linalg.inv(P.Sx + alpha * np.eye(P.d))
    B = Wt @ P.Sx @ A - Wt
    bias = 0.5 * np.trace(B @ C @ B.T)
    variance = split.noise**2 * P.p * np.trace(A @ C @ A.T @ P.Sx) / (2 * P.n)
    return bias, variance


def right_library(split, alpha):
    P = split.train
    A = np.linalg.inv(P.Sx + alpha * np.eye(P.d))
    return estimators.linear_estimator_risk(P, A, W_teacher=split.W_teacher,
                                            C=split.population.Sx, noise=split.noise)


def _variant(*, C_var="test", C_bias="test", alpha_scale=1.0, p=True, n=True, minus=True,
             factor=1.0, swap=False):
    def fn(split, alpha):
        P, Wt = split.train, split.W_teacher
        C = split.population.Sx
        A = np.linalg.inv(P.Sx + alpha * alpha_scale(P) * np.eye(P.d)) if callable(alpha_scale) \
            else np.linalg.inv(P.Sx + alpha * alpha_scale * np.eye(P.d))
        Cb = C if C_bias == "test" else P.Sx
        Cv = C if C_var == "test" else P.Sx
        B = Wt @ P.Sx @ A - (Wt if minus else 0)
        bias = factor * 0.5 * np.trace(B @ Cb @ B.T)
        var = factor * 0.5 * split.noise**2 * (P.p if p else 1) * np.trace(A @ Cv @ A.T @ P.Sx) \
            / (P.n if n else 1)
        return (var, bias) if swap else (bias, var)
    return fn


@pytest.mark.parametrize("fn", [right, right_library])
def test_accepts_right_answers(fn):
    assert ch10.check_ridge_risk(fn).startswith("Correct")


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_variant(C_var="train"), "your variance uses the training moment Sx"),
        (_variant(C_bias="train"), "your bias weighs the error with the training moment Sx"),
        (_variant(alpha_scale=lambda P: 1 / P.n), "(Sx + alpha/n I)^{-1}"),
        (_variant(p=False), "p times too small"),
        (_variant(n=False), "n times too large"),
        (_variant(minus=False), "B = W_t Sx A - W_t"),
        (_variant(factor=2.0), "HALF the C-weighted squared error"),
        (_variant(swap=True), "return (bias, variance)"),
    ],
)
def test_rejects_typical_slips_with_specific_hint(fn, hint):
    with pytest.raises(AssertionError, match="Hint") as info:
        ch10.check_ridge_risk(fn)
    assert hint in str(info.value)


def test_rejects_stub_and_bad_shapes():
    with pytest.raises(AssertionError, match="not filled in"):
        ch10.check_ridge_risk(lambda split, alpha: None)
    with pytest.raises(AssertionError, match="two numbers"):
        ch10.check_ridge_risk(lambda split, alpha: (1.0, 2.0, 3.0))
    with pytest.raises(AssertionError, match="two numbers"):
        ch10.check_ridge_risk(lambda split, alpha: "bias")


def test_unrecognised_error_gets_the_general_hint():
    with pytest.raises(AssertionError, match="compare with the proposition"):
        ch10.check_ridge_risk(lambda split, alpha: (0.123, 0.456))


def test_exercise_split():
    split = ch10.exercise_split()
    assert split.train.n == 40 and split.noise == pytest.approx(0.6)
    assert np.linalg.matrix_rank(split.W_teacher) == 2
