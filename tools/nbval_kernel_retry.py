"""pytest plugin for ``make nbval``: start a notebook's kernel again if it does not start.

pytest-xdist runs two notebooks at a time, and two kernels starting at once can race for a TCP
port (see ``kernel_retry.py``). This plugin makes nbval's kernel start go through
``kernel_retry.with_kernel_start_retries``. Nothing else changes: errors in cells and wrong
outputs fail as before. Loaded with ``-p nbval_kernel_retry`` (``tools/`` on ``PYTHONPATH``).
"""

from __future__ import annotations

import nbval.kernel as _kernel
from kernel_retry import with_kernel_start_retries

_start_new_kernel = _kernel.start_new_kernel


def start_new_kernel(*args, **kwargs):
    return with_kernel_start_retries(lambda: _start_new_kernel(*args, **kwargs))


_kernel.start_new_kernel = start_new_kernel
