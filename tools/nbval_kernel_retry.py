"""pytest plugin for ``make nbval``: start a notebook's kernel again if it dies at start-up.

Two kernels starting at once in different processes (pytest-xdist runs two notebooks at a time)
can pick the same free TCP port: jupyter_client releases the ports it found before the kernel
binds them, and the kernel that loses dies before replying to ``kernel_info`` ("Address already
in use"). That is a failure to start, not a failure of the notebook, so this plugin makes nbval
try the start up to three times. Nothing else changes: errors in cells and wrong outputs fail as
before. Loaded with ``-p nbval_kernel_retry`` (``tools/`` on ``PYTHONPATH``).
"""

from __future__ import annotations

import nbval.kernel as _kernel

ATTEMPTS = 3
_start_new_kernel = _kernel.start_new_kernel


def start_new_kernel(*args, **kwargs):
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _start_new_kernel(*args, **kwargs)
        except RuntimeError as exc:
            if "before replying to kernel_info" not in str(exc) or attempt == ATTEMPTS:
                raise


_kernel.start_new_kernel = start_new_kernel
