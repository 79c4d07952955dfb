"""``tools/kernel_retry.py`` and the nbval plugin built on it: a kernel is started again only
when it died at start-up, never after another error."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbval.kernel
import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
PLUGIN = TOOLS / "nbval_kernel_retry.py"
sys.path.insert(0, str(TOOLS))
DIED = "Kernel died before replying to kernel_info"


def load_plugin_over(monkeypatch, fake):
    """Install ``fake`` as nbval's kernel starter, then load the plugin, which wraps it."""
    monkeypatch.setattr(nbval.kernel, "start_new_kernel", fake)  # restored after the test
    spec = importlib.util.spec_from_file_location("nbval_kernel_retry_under_test", PLUGIN)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return nbval.kernel.start_new_kernel


NEVER_READY = "Kernel didn't respond in 60 seconds"


@pytest.mark.parametrize("message", [DIED, NEVER_READY])
@pytest.mark.parametrize("failures, succeeds", [(0, True), (2, True), (3, False)])
def test_start_up_failures_are_retried_three_times(monkeypatch, message, failures, succeeds):
    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) <= failures:
            raise RuntimeError(message)
        return "km", "kc"

    start = load_plugin_over(monkeypatch, flaky)
    assert start is not flaky
    if succeeds:
        assert start(kernel_name="python3") == ("km", "kc")
    else:
        with pytest.raises(RuntimeError, match=message):
            start(kernel_name="python3")
    assert len(calls) == min(failures + 1, 3)


def test_other_errors_are_not_retried(monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("No such kernel named python9")

    start = load_plugin_over(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="python9"):
        start(kernel_name="python9")
    assert len(calls) == 1
