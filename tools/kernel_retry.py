"""Start a Jupyter kernel again when it does not start: one rule for every harness of the book.

Two kernels starting at once in different processes can pick the same free TCP port:
jupyter_client releases the ports it found before the kernel binds them, and the kernel that
loses dies before replying to ``kernel_info`` ("Address already in use"). A kernel can also
never become ready: once, in a benchmark, a kernel started next to another one did not answer
for 60 s ("Kernel didn't respond in 60 seconds"; the cause was not found, the rerun was fine).
Both are failures to start, not failures of the notebook. :func:`with_kernel_start_retries`
runs a function that starts a kernel (and possibly executes a notebook) up to
:data:`ATTEMPTS` times while it fails one of these two ways; any other exception, and errors
in cells, propagate at once.

Used by ``tools/execute_parallel.py`` (``make book``), ``tools/nbval_kernel_retry.py``
(``make nbval``) and ``.ci/binder_check.py`` (``make binder-check``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ATTEMPTS = 3
T = TypeVar("T")

#: What jupyter_client's ``wait_for_ready`` raises when the kernel died before it was ready, or
#: did not become ready within the start-up timeout.
START_FAILURES = ("before replying to kernel_info", "Kernel didn't respond in")


def is_kernel_start_failure(exc: BaseException) -> bool:
    """True for the errors jupyter_client raises when a kernel does not start (START_FAILURES)."""
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in START_FAILURES)


def with_kernel_start_retries(start: Callable[[], T],
                              on_retry: Callable[[BaseException], None] | None = None) -> T:
    """``start()``, tried again (up to ``ATTEMPTS`` in all) while its kernel does not start."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return start()
        except RuntimeError as exc:
            if not is_kernel_start_failure(exc) or attempt == ATTEMPTS:
                raise
            if on_retry is not None:
                on_retry(exc)
    raise AssertionError("unreachable")
