"""Tests of the exercise-checker building blocks (gdlinear.exercises._base)."""

from __future__ import annotations

import numpy as np
import pytest

ROWS = np.arange(6.0).reshape(2, 3)

from gdlinear.exercises import check_close, check_equal, check_shape, check_true  # noqa: E402


# ------------------------------------------------------------------------------ check_close
def test_check_close_scalar_success_message():
    msg = check_close("T_1", 5.0000001, 5.0)
    assert msg.startswith("Correct: T_1 = 5")
    assert "relative error" in msg


def test_check_close_array_success_message():
    msg = check_close("w", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    assert msg.startswith("Correct: w matches") and "(2,)" in msg


def test_check_close_accepts_size_one_arrays_for_scalars():
    assert check_close("x", np.array([0.5]), 0.5).startswith("Correct")
    assert check_close("x", 0.5, np.array([[0.5]])).startswith("Correct")


def test_check_close_scalar_failure_names_value_expected_error_and_hint():
    with pytest.raises(AssertionError) as err:
        check_close("w_1(10)", 0.52, 0.5, rtol=1e-3, hint="Square the bracket.")
    text = str(err.value)
    assert "w_1(10) = 0.52" in text and "expected 0.5" in text
    assert "relative error 4.00e-02" in text and "rtol = 0.001" in text
    assert text.endswith("Hint: Square the bracket.")


def test_check_close_reveal_false_hides_the_expected_value():
    with pytest.raises(AssertionError) as err:
        check_close("t", 12.0, 17.0, reveal=False)
    assert "17" not in str(err.value)


def test_check_close_array_failure_points_at_the_worst_entry():
    with pytest.raises(AssertionError) as err:
        check_close("w", [1.0, 2.0, 3.5, 4.1], [1.0, 2.0, 3.0, 4.0], rtol=1e-3)
    text = str(err.value)
    assert "at 2 of 4 entries" in text
    assert "index (2,): 3.5 instead of 3" in text


@pytest.mark.parametrize("answer, slip", [
    (-0.5, "sign looks flipped"),
    (1.0, "twice the expected value"),
    (0.25, "half the expected value"),
])
def test_check_close_diagnoses_common_slips(answer, slip):
    with pytest.raises(AssertionError, match=slip):
        check_close("x", answer, 0.5)


def test_check_close_zero_expected_uses_absolute_error():
    with pytest.raises(AssertionError, match="absolute error 1.00e-03"):
        check_close("x", 1e-3, 0.0)
    assert check_close("x", 1e-13, 0.0, atol=1e-12).startswith("Correct")


def test_check_close_shape_and_transpose():
    with pytest.raises(AssertionError, match="looks transposed"):
        check_close("W", ROWS, ROWS.T)
    with pytest.raises(AssertionError, match=r"shape \(3,\) but the expected shape is \(4,\)"):
        check_close("v", np.ones(3), np.ones(4))


def test_check_close_nan_and_unfilled_and_not_numbers():
    with pytest.raises(AssertionError, match="NaN or infinity at 1 of 3 entries"):
        check_close("v", [1.0, np.nan, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="NaN or infinity;"):
        check_close("x", np.inf, 1.0)
    for stub in (None, ..., NotImplemented):
        with pytest.raises(AssertionError, match="not filled in yet"):
            check_close("x", stub, 1.0, hint="h")
    with pytest.raises(AssertionError, match="must be a number or an array of numbers, got str"):
        check_close("x", "abc", 1.0)


def test_check_close_matching_nans_pass():
    assert check_close("v", [1.0, np.nan], [1.0, np.nan]).startswith("Correct")


# ------------------------------------------------------------------------------ check_equal
def test_check_equal():
    assert check_equal("regime", " Overshoot ", "overshoot") == "Correct: regime = 'overshoot'."
    assert check_equal("k", 3.0, 3).startswith("Correct")
    assert check_equal("order", (1, 2), (1, 2)).startswith("Correct")
    with pytest.raises(AssertionError, match="regime = 'Overshoot', expected 'overshoot'"):
        check_equal("regime", "Overshoot", "overshoot", case_sensitive=True)
    with pytest.raises(AssertionError) as err:
        check_equal("k", 2, 3, reveal=False, hint="Count the plateaus.")
    assert "3" not in str(err.value).split("Hint")[0].replace("k = 2", "")
    assert "Hint: Count the plateaus." in str(err.value)
    with pytest.raises(AssertionError):
        check_equal("order", (1, 2), (1, 2, 3))
    with pytest.raises(AssertionError, match="not filled in"):
        check_equal("k", None, 3)


# ------------------------------------------------------------------------------ check_shape
def test_check_shape():
    assert check_shape("W", np.zeros((3, 5)), (3, 5)) == "Correct: W has shape (3, 5)."
    assert check_shape("path", np.zeros((7, 2)), (None, 2)).startswith("Correct")
    with pytest.raises(AssertionError, match=r"expected shape is \(any, 3\)"):
        check_shape("path", np.zeros((7, 2)), (None, 3))
    with pytest.raises(AssertionError, match="looks transposed"):
        check_shape("W", np.zeros((5, 3)), (3, 5))
    with pytest.raises(AssertionError, match=r"expected shape is \(4,\)"):
        check_shape("v", [1, 2, 3], (4,))


# ------------------------------------------------------------------------------ check_true
def test_check_true():
    assert check_true("the loss never increases", np.diff([3, 2, 1]) <= 0) == \
        "Correct: the loss never increases."
    with pytest.raises(AssertionError) as err:
        check_true("the loss never increases", [True, False], detail="it increases at step 1",
                   hint="Use a smaller eta.")
    text = str(err.value)
    assert "Not yet: the loss never increases does not hold (it increases at step 1)." in text
    assert text.endswith("Hint: Use a smaller eta.")
    with pytest.raises(AssertionError, match="must be a boolean"):
        check_true("x", object())


def test_exercises_package_imports_cleanly_and_documents_chapters():
    import gdlinear.exercises as ex

    assert "chNN" in ex.__doc__
    assert set(ex.__all__) == {"check_close", "check_equal", "check_shape", "check_true"}


def test_docstring_examples():
    import doctest

    from gdlinear.exercises import _base

    res = doctest.testmod(_base, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 5 and res.failed == 0
