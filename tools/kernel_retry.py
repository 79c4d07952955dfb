"""Start a Jupyter kernel again when it dies at start-up: one rule for every harness of the book.

Two kernels starting at once in different processes can pick the same free TCP port:
jupyter_client releases the ports it found before the kernel binds them, and the kernel that
loses dies before replying to ``kernel_info`` ("Address already in use"). That is a failure to
start, not a failure of the notebook. :func:`with_kernel_start_retries` runs a function that
starts a kernel (and possibly executes a notebook) up to :data:`ATTEMPTS` times while it fails
that way; any other exception, and errors in cells, propagate at once.

Used by ``tools/execute_parallel.py`` (``make book``), ``tools/nbval_kernel_retry.py``
(``make nbval``) and ``.ci/binder_check.py`` (``make binder-check``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ATTEMPTS = 3
T = TypeVar("T")


def is_kernel_start_failure(exc: BaseException) -> bool:
    """True for the error jupyter_client raises when the kernel died before it was ready."""
    return isinstance(exc, RuntimeError) and "before replying to kernel_info" in str(exc)


def with_kernel_start_retries(start: Callable[[], T],
                              on_retry: Callable[[BaseException], None] | None = None) -> T:
    """``start()``, tried again (up to ``ATTEMPTS`` in all) while the kernel dies at start-up."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return start()
        except RuntimeError as exc:
            if not is_kernel_start_failure(exc) or attempt == ATTEMPTS:
                raise
            if on_retry is not None:
                on_retry(exc)
    raise AssertionError("unreachable")
