"""Bad input for every public function of problems, estimators, theory and dynamics.

Each case checks the exception type AND that the message says what is wrong.
"""

import numpy as np
import pytest

import gdlinear as gl
from gdlinear import dynamics as dyn
from gdlinear import estimators as E
from gdlinear import problems as pr
from gdlinear import theory as th

P = pr.commuting([1.0, 0.5], [2.0, 1.0], d=3, p=2)
PD = pr.teacher(d=3, p=2, rank=1, n_train=10, n_test=5, noise=0.1).train
SING = pr.from_data(np.ones((4, 3)), np.ones((4, 2)))          # Sx singular (rank 1)
INIT = dyn.spectral_init(P, 1e-3)
NAN = float("nan")

CASES = {
    # ---- problems ------------------------------------------------------------------
    "problems.commuting": [
        (lambda: pr.commuting([1.0, NAN]), ValueError, "sigma contains 1 non-finite"),
        (lambda: pr.commuting([0.5, 1.0]), ValueError, "non-increasing"),
        (lambda: pr.commuting([1.0, -0.5]), ValueError, "sigma must be positive"),
        (lambda: pr.commuting([1.0, 0.5], [1.0, 1.0, 1.0]), ValueError, "length m = 2"),
        (lambda: pr.commuting([1.0, 0.5], [1.0, 0.0]), ValueError, "lam must be positive"),
        (lambda: pr.commuting([1.0, 0.5], d=1), ValueError, "d >= m"),
        (lambda: pr.commuting("abc"), TypeError, "real numeric"),
    ],
    "problems.autoencoder": [
        (lambda: pr.autoencoder([1.0, 2.0]), ValueError, "non-increasing"),
        (lambda: pr.autoencoder([np.inf, 1.0]), ValueError, "non-finite"),
        (lambda: pr.autoencoder([1.0, -1.0]), ValueError, "positive"),
    ],
    "problems.from_data": [
        (lambda: pr.from_data(np.ones(5), np.ones((5, 1))), ValueError, r"X must be a 2-D"),
        (lambda: pr.from_data(np.ones((5, 2)), np.ones((4, 1))), ValueError,
         "same number of rows"),
        (lambda: pr.from_data(np.full((5, 2), NAN), np.ones((5, 1))), ValueError, "non-finite"),
        (lambda: pr.from_data([["a", "b"]], [[1.0]]), TypeError, "real numeric"),
        (lambda: pr.from_data(np.ones((5, 2)) * 1j, np.ones((5, 1))), TypeError, "real numeric"),
    ],
    "problems.from_moments": [
        (lambda: pr.from_moments(np.ones((2, 3)), np.ones((1, 3))), ValueError, r"Sx \(d, d\)"),
        (lambda: pr.from_moments(np.eye(2), np.ones((1, 3))), ValueError, r"Syx \(p, d\)"),
        (lambda: pr.from_moments([[1.0, 0.5], [0.0, 1.0]], np.eye(2)), ValueError, "symmetric"),
        (lambda: pr.from_moments(-np.eye(2), np.eye(2)), ValueError, "positive semi-definite"),
    ],
    "problems.with_modes": [
        (lambda: pr.with_modes("P"), TypeError, "must be a gdlinear Problem"),
        (lambda: pr.with_modes(P, tol=-1.0), ValueError, "tol must be a positive"),
        (lambda: pr.with_modes(pr.noncommuting([1.0, 0.5], [2.0, 1.0], angle=0.4, d=3)),
         ValueError, "commuting assumption does not hold"),
    ],
    "problems.noncommuting": [
        (lambda: pr.noncommuting([1.0], [1.0], angle=NAN), ValueError, "angle must be a finite"),
        (lambda: pr.noncommuting([1.0], [1.0], angle="x"), TypeError, "angle must be a finite"),
        (lambda: pr.noncommuting([1.0, 2.0], [1.0, 1.0], angle=0.1), ValueError,
         "non-increasing"),
    ],
    "problems.teacher": [
        (lambda: pr.teacher(d=3, p=2, rank=3, n_train=5, n_test=5, noise=0.1), ValueError,
         r"rank must be an integer in 1\.\.2"),
        (lambda: pr.teacher(d=3, p=2, rank=1, n_train=5, n_test=5, noise=-0.1), ValueError,
         "noise must be a non-negative"),
        (lambda: pr.teacher(d=3, p=2, rank=1, n_train=0, n_test=5, noise=0.1), ValueError,
         "n_train must be an integer"),
        (lambda: pr.teacher(d=3, p=2, rank=1, n_train=5, n_test=5, noise=0.1,
                            input_spectrum=[1.0, 1.0]), ValueError, "length d = 3"),
        (lambda: pr.teacher(d=3, p=2, rank=1, n_train=5, n_test=5, noise=0.1,
                            signal=[1.0, 2.0]), ValueError, "length rank = 1"),
    ],
    "problems.random_orthogonal": [
        (lambda: pr.random_orthogonal(0, np.random.default_rng()), ValueError,
         "k must be an integer in 1"),
        (lambda: pr.random_orthogonal(2, 0), TypeError, "numpy.random.Generator"),
    ],
    "problems.Problem": [
        (lambda: pr.Problem(Sx=np.ones((2, 3)), Syx=np.ones((1, 3)), Syy_trace=1.0),
         ValueError, "square"),
        (lambda: pr.Problem(Sx=np.eye(2), Syx=np.ones((1, 3)), Syy_trace=1.0), ValueError,
         r"Syx must be \(p, d\)"),
        (lambda: pr.Problem(Sx=np.eye(2), Syx=np.ones((1, 2)), Syy_trace=NAN), ValueError,
         "Syy_trace must be a finite"),
    ],
    "problems.Problem.loss": [
        (lambda: P.loss(np.ones((3, 2))), ValueError, r"W has shape \(3, 2\), expected"),
        (lambda: P.loss(np.full((2, 3), NAN)), ValueError, "non-finite"),
    ],
    "problems.Problem.gradient": [
        (lambda: P.gradient(np.ones(3)), ValueError, "W has shape"),
    ],
    "problems.Problem.mode_strengths": [
        (lambda: PD.mode_strengths(np.zeros((2, 3))), ValueError, "no known modes"),
        (lambda: P.mode_strengths(np.zeros((3, 3))), ValueError, "W has shape"),
    ],
    # ---- estimators ----------------------------------------------------------------
    "estimators.least_squares": [
        (lambda: E.least_squares(SING), ValueError, "Sigma_x is not positive definite"),
        (lambda: E.least_squares("P"), TypeError, "Problem"),
    ],
    "estimators.reduced_rank": [
        (lambda: E.reduced_rank(P, 3), ValueError, r"k must be an integer in 0\.\.2, got 3"),
        (lambda: E.reduced_rank(P, -1), ValueError, r"k must be an integer in 0\.\.2"),
        (lambda: E.reduced_rank(P, 1.5), ValueError, "k must be an integer"),
        (lambda: E.reduced_rank(P, 1, "frobenius"), ValueError,
         "metric must be one of 'data', 'moment'"),
        (lambda: E.reduced_rank(SING, 1), ValueError, "not positive definite"),
    ],
    "estimators.reduced_rank_path": [
        (lambda: E.reduced_rank_path(P, "izenman"), ValueError, "metric must be one of"),
        (lambda: E.reduced_rank_path(SING, "moment"), ValueError, "not positive definite"),
    ],
    "estimators.ridge": [
        (lambda: E.ridge(P, -0.1), ValueError, "alpha must be a non-negative finite number"),
        (lambda: E.ridge(P, NAN), ValueError, "alpha must be a non-negative"),
        (lambda: E.ridge(SING, 0.0), ValueError, "not positive definite"),
    ],
    "estimators.ridge_path": [
        (lambda: E.ridge_path(P, [0.1, -1.0]), ValueError, "alphas must be non-negative"),
        (lambda: E.ridge_path(P, [0.1, NAN]), ValueError, "non-finite"),
        (lambda: E.ridge_path(P, np.ones((2, 2))), ValueError, "1-D"),
    ],
    "estimators.nuclear_norm": [
        (lambda: E.nuclear_norm(P, -1.0), ValueError, "mu must be a non-negative"),
        (lambda: E.nuclear_norm(P, 0.1, method="admm"), ValueError, "method must be one of"),
        (lambda: E.nuclear_norm(PD, 0.1, method="closed_form"), ValueError, "needs P.modes"),
        (lambda: E.nuclear_norm(P, 0.1, tol=0.0), ValueError, "tol must be a positive"),
        (lambda: E.nuclear_norm(P, 0.1, max_iter=0), ValueError, "max_iter must be an integer"),
    ],
    "estimators.nuclear_norm_path": [
        (lambda: E.nuclear_norm_path(P, [0.1, -0.1]), ValueError, "mus must be non-negative"),
        (lambda: E.nuclear_norm_path(P, [0.1], method="x"), ValueError, "method must be one of"),
    ],
    # ---- theory --------------------------------------------------------------------
    "theory.mode_map": [
        (lambda: th.mode_map(1.0, 1.0, -0.1, 0.1, 10), ValueError,
         r"eta must be a positive finite number, got -0\.1"),
        (lambda: th.mode_map(1.0, 1.0, 0.0, 0.1, 10), ValueError, "eta must be a positive"),
        (lambda: th.mode_map(1.0, 1.0, 0.1, 0.1, -3), ValueError,
         "steps must be a non-negative integer, got -3"),
        (lambda: th.mode_map(-1.0, 1.0, 0.1, 0.1, 3), ValueError, "sigma must be positive"),
        (lambda: th.mode_map(1.0, 1.0, 0.1, NAN, 3), ValueError, "w0 contains 1 non-finite"),
        (lambda: th.mode_map([1.0, 0.5], [1.0, 1.0, 1.0], 0.1, 0.1, 3), ValueError,
         "do not broadcast"),
    ],
    "theory.mode_map_unbalanced": [
        (lambda: th.mode_map_unbalanced(1.0, 1.0, 0.0, 0.1, 0.1, 3), ValueError, "eta must be"),
        (lambda: th.mode_map_unbalanced(1.0, 1.0, 0.1, 0.1, 0.1, -1), ValueError, "steps"),
        (lambda: th.mode_map_unbalanced(1.0, 1.0, 0.1, NAN, 0.1, 3), ValueError, "a0 contains"),
    ],
    "theory.gradient_flow": [
        (lambda: th.gradient_flow(1.0, 1.0, -0.1, [1.0]), ValueError, "w0 must be non-negative"),
        (lambda: th.gradient_flow(1.0, 1.0, 0.1, [-1.0]), ValueError, "t must be non-negative"),
        (lambda: th.gradient_flow(1.0, 1.0, 0.1, [NAN]), ValueError, "t contains"),
    ],
    "theory.linear_gd": [
        (lambda: th.linear_gd(1.0, 1.0, -1.0, 0.0, 3), ValueError, "eta must be a positive"),
        (lambda: th.linear_gd(1.0, 1.0, 0.1, 0.0, 1.5), ValueError,
         "steps must be a non-negative integer, got 1.5"),
    ],
    "theory.linear_flow": [
        (lambda: th.linear_flow(1.0, 0.0, 0.0, [1.0]), ValueError, "lam must be positive"),
        (lambda: th.linear_flow(1.0, 1.0, 0.0, [-2.0]), ValueError, "t must be non-negative"),
    ],
    "theory.deep_flow": [
        (lambda: th.deep_flow(1.0, 1.0, 0.1, [1.0], depth=1), ValueError,
         r"depth must be an integer in 2\.\."),
        (lambda: th.deep_flow(1.0, 1.0, 0.0, [1.0], depth=3), ValueError, "w0 must be positive"),
    ],
    "theory.critical_times": [
        (lambda: th.critical_times([1.0], eta=0.1, depth=3), ValueError, "gradient flow only"),
        (lambda: th.critical_times([1.0], eta=-0.1), ValueError, "eta must be a positive"),
        (lambda: th.critical_times([0.0]), ValueError, "sigma must be positive"),
    ],
    "theory.learning_time": [
        (lambda: th.learning_time(1.0, 1.0, 1e-3, frac=1.0), ValueError, r"open interval \(0, 1\)"),
        (lambda: th.learning_time(1.0, 1.0, 0.0), ValueError, "w0 must be positive"),
        (lambda: th.learning_time(1.0, 1.0, 1e-3, eta=1.5), ValueError, r"eta \* sigma < 1"),
        (lambda: th.learning_time(1.0, 1.0, 1e-3, eta=-1.0), ValueError, "eta must be a positive"),
    ],
    "theory.step_size_regime": [
        (lambda: th.step_size_regime(1.0, -0.5), ValueError, "eta must be a positive"),
        (lambda: th.step_size_regime(NAN, 0.5), ValueError, "sigma_1 must be a positive"),
    ],
    "theory.stability_bound": [
        (lambda: th.stability_bound(P, "three_layer"), ValueError, "model must be one of"),
        (lambda: th.stability_bound([1.0], "linear"), ValueError, "pass a Problem or lam"),
        (lambda: th.stability_bound(PD, "two_layer_full"), ValueError, "needs the problem's modes"),
        (lambda: th.stability_bound([-1.0]), ValueError, "sigma must be positive"),
    ],
    "theory.limit_path": [
        (lambda: th.limit_path([1.0], [1.0], [-1.0]), ValueError, "T must be non-negative"),
        (lambda: th.limit_path([-1.0], [1.0], [1.0]), ValueError, "sigma must be positive"),
    ],
    "theory.distance_to_limit": [
        (lambda: th.distance_to_limit(np.zeros((2, 3)), [1.0, 0.5], 1.0, [1.0]), ValueError,
         r"w must have shape \(len\(T\), m\)"),
    ],
    "theory.escape_bounds": [
        (lambda: th.escape_bounds(0.1, 0.5, 0.1), ValueError, "0 < u0 < eps < 1"),
        (lambda: th.escape_bounds(0.0, 0.01, 0.1), ValueError, "c must be positive"),
    ],
    "theory.saturation_factor": [
        (lambda: th.saturation_factor(0.8), ValueError, r"c = eta sigma <= 1/2"),
    ],
    # ---- dynamics ------------------------------------------------------------------
    "dynamics.schedule": [
        (lambda: dyn.schedule("linear", 10), ValueError, "record must be None, 'log'"),
        (lambda: dyn.schedule(0, 10), ValueError, "record must be a positive integer"),
        (lambda: dyn.schedule([3, 1], 10), ValueError, "strictly increasing"),
        (lambda: dyn.schedule([1, 11], 10), ValueError, r"within 0\.\.10"),
        (lambda: dyn.schedule([-1, 2], 10), ValueError, "non-negative steps"),
        (lambda: dyn.schedule(None, -1), ValueError, "steps must be a non-negative integer"),
    ],
    "dynamics.spectral_init": [
        (lambda: dyn.spectral_init(PD, 1e-3), ValueError, "needs the problem's modes"),
        (lambda: dyn.spectral_init(P, -1e-3), ValueError, "scale must be a non-negative"),
        (lambda: dyn.spectral_init(P, 1e-3, width=0), ValueError, "width must be an integer"),
        (lambda: dyn.spectral_init(P, 1e-3, depth=1), ValueError, "depth must be an integer"),
        (lambda: dyn.spectral_init(P, [1e-3, 1e-3, 1e-3]), ValueError, "k = min"),
        (lambda: dyn.spectral_init(P, 1e-3, balanced=False, ratio=0.0), ValueError,
         "ratio must be a positive"),
        (lambda: dyn.spectral_init("P", 1e-3), TypeError, "Problem"),
    ],
    "dynamics.random_init": [
        (lambda: dyn.random_init(P, 0.0, 2), ValueError, "scale must be a positive"),
        (lambda: dyn.random_init(P, 0.1, 0), ValueError, "width must be an integer"),
        (lambda: dyn.random_init(None, 0.1, 2), TypeError, "Problem"),
    ],
    "dynamics.gd_linear": [
        (lambda: dyn.gd_linear(P, 0.0, 10), ValueError, "eta must be a positive"),
        (lambda: dyn.gd_linear(P, 0.1, -10), ValueError, "steps must be a non-negative"),
        (lambda: dyn.gd_linear(P, 0.1, 10, np.zeros((3, 2))), ValueError,
         r"W0 must have shape \(p, d\) = \(2, 3\)"),
        (lambda: dyn.gd_linear(P, 0.1, 10, np.full((2, 3), NAN)), ValueError, "non-finite"),
        (lambda: dyn.gd_linear(P, 0.1, 10, record="sometimes"), ValueError, "record must be"),
    ],
    "dynamics.gd_two_layer": [
        (lambda: dyn.gd_two_layer(P, -0.1, 10, INIT), ValueError,
         r"eta must be a positive finite number, got -0\.1"),
        (lambda: dyn.gd_two_layer(P, NAN, 10, INIT), ValueError, "eta must be a positive"),
        (lambda: dyn.gd_two_layer(P, 0.1, -5, INIT), ValueError, "steps must be a non-negative"),
        (lambda: dyn.gd_two_layer(P, 0.1, 10, (INIT.W1, INIT.W2)), TypeError, "Init"),
        (lambda: dyn.gd_two_layer(pr.commuting([1.0], d=4, p=2), 0.1, 10, INIT), ValueError,
         "init does not match the problem"),
        (lambda: dyn.gd_two_layer(P, 0.1, 10, dyn.spectral_init(P, 0.1, depth=3)), ValueError,
         "use gd_deep"),
        (lambda: dyn.gd_two_layer(P, 0.1, 10, INIT, record=[20]), ValueError, r"within 0\.\.10"),
    ],
    "dynamics.gd_deep": [
        (lambda: dyn.gd_deep(P, -1.0, 10, INIT), ValueError, "eta must be a positive"),
        (lambda: dyn.gd_deep(P, 0.1, 10, None), TypeError, "Init"),
    ],
    "dynamics.sgd_two_layer": [
        (lambda: dyn.sgd_two_layer(P, 0.1, 10, INIT, batch_size=2), ValueError,
         "SGD needs the data"),
        (lambda: dyn.sgd_two_layer(PD, 0.1, 10, dyn.random_init(PD, 0.1, 2), batch_size=0),
         ValueError, r"batch_size must be an integer in 1\.\.10"),
        (lambda: dyn.sgd_two_layer(PD, 0.1, 10, dyn.random_init(PD, 0.1, 2), batch_size=11),
         ValueError, r"batch_size must be an integer in 1\.\.10, got 11"),
        (lambda: dyn.sgd_two_layer(PD, 0.0, 10, dyn.random_init(PD, 0.1, 2), batch_size=2),
         ValueError, "eta must be a positive"),
    ],
    "dynamics.sgd_linear": [
        (lambda: dyn.sgd_linear(P, 0.1, 10, batch_size=2), ValueError, "SGD needs the data"),
        (lambda: dyn.sgd_linear(PD, 0.1, -1, batch_size=2), ValueError, "steps must be"),
        (lambda: dyn.sgd_linear(PD, 0.1, 10, np.ones((3, 3)), batch_size=2), ValueError,
         "W0 must have shape"),
    ],
    "dynamics.gradient_flow": [
        (lambda: dyn.gradient_flow(P, [-1.0, 1.0], INIT), ValueError, "t must be non-negative"),
        (lambda: dyn.gradient_flow(P, [2.0, 1.0], INIT), ValueError, "sorted"),
        (lambda: dyn.gradient_flow(P, [1.0], INIT, model="cubic"), ValueError,
         "model must be one of"),
        (lambda: dyn.gradient_flow(P, [1.0], None), ValueError, "needs an Init"),
        (lambda: dyn.gradient_flow(P, [1.0], INIT, rtol=0.0), ValueError, "rtol must be"),
        (lambda: dyn.gradient_flow(P, [1.0], np.ones((3, 3)), model="linear"), ValueError,
         "init must be an Init or a"),
    ],
    "dynamics.sweep_two_layer": [
        (lambda: dyn.sweep_two_layer(P, [0.1, 0.0], [1e-3], 10), ValueError,
         "etas must be positive"),
        (lambda: dyn.sweep_two_layer(P, [0.1], [-1e-3], 10), ValueError,
         "scales must be non-negative"),
        (lambda: dyn.sweep_two_layer(P, [0.1, 0.2], [1e-3], 10, grid=False), ValueError,
         "same length"),
        (lambda: dyn.sweep_two_layer(P, [0.1], [1e-3], -1), ValueError, "steps must be"),
        (lambda: dyn.sweep_two_layer(P, [], [1e-3], 10), ValueError, "non-empty"),
        (lambda: dyn.sweep_two_layer(PD, [0.1], [1e-3], 10), ValueError,
         "needs the problem's modes"),
    ],
    "dynamics.Init": [
        (lambda: dyn.Init((np.ones((2, 3)), np.ones((2, 3)))), ValueError, "do not chain"),
        (lambda: dyn.Init((np.ones((2, 3)),)), ValueError, "at least two"),
        (lambda: dyn.Init((np.full((2, 3), NAN), np.ones((2, 2)))), ValueError, "non-finite"),
    ],
}

_FLAT = [(name, i, *case) for name, cases in CASES.items() for i, case in enumerate(cases)]


@pytest.mark.parametrize(("name", "i", "call", "exc", "match"), _FLAT,
                         ids=[f"{n}-{i}" for n, i, *_ in _FLAT])
def test_bad_input_message(name, i, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# The functions this test file is responsible for (the core API). Functions added to these
# modules by chapter helpers carry their own bad-input tests in their test files.
CORE = {
    "problems": ["commuting", "autoencoder", "from_data", "from_moments", "with_modes",
                 "noncommuting", "teacher", "random_orthogonal", "Problem"],
    "estimators": ["least_squares", "reduced_rank", "reduced_rank_path", "ridge", "ridge_path",
                   "nuclear_norm", "nuclear_norm_path"],
    "theory": ["mode_map", "mode_map_unbalanced", "gradient_flow", "linear_gd", "linear_flow",
               "deep_flow", "critical_times", "learning_time", "step_size_regime",
               "stability_bound", "limit_path", "distance_to_limit", "escape_bounds",
               "saturation_factor"],
    "dynamics": ["schedule", "spectral_init", "random_init", "gd_linear", "gd_two_layer",
                 "gd_deep", "sgd_two_layer", "sgd_linear", "gradient_flow", "sweep_two_layer",
                 "Init"],
}


def test_every_core_public_function_has_a_bad_input_case():
    for module, names in CORE.items():
        mod = getattr(gl, module)
        for fn in names:
            assert fn in mod.__all__, f"{module}.{fn} is not public"
            assert f"{module}.{fn}" in CASES, f"no bad-input case for {module}.{fn}"
    for meth in ("loss", "gradient", "mode_strengths"):
        assert f"problems.Problem.{meth}" in CASES


def test_divergence_error_message_and_pickling():
    import pickle

    err = gl.DivergenceError(eta=3.0, step=12, bound=1.0, rule="1/sigma_1")
    msg = str(err)
    assert "eta = 3" in msg and "step 12" in msg and "eta < 1/sigma_1 = 1" in msg
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == msg and again.bound == 1.0
