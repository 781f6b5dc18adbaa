"""CPU threads of a modelport process: one function decides how many OpenMP/BLAS threads it uses.

Two mechanisms, because of when the native libraries read their settings: the environment variables
must be set before numpy or onnxruntime are first imported (and worker processes inherit them);
threadpoolctl resizes the pools of libraries already loaded. ``limit_cpu_threads`` does both, so an
entry point calls it first thing and a data-plane node calls it again at start (a no-op then).
This module imports nothing heavy on purpose: it must run before numpy loads.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

__all__ = ["THREAD_VARIABLES", "limit_cpu_threads"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def limit_cpu_threads(n: int, environ: MutableMapping[str, str] | None = None) -> None:
    """At most ``n`` OpenMP/BLAS threads, unless the user set the variables explicitly.

    ``environ`` (default ``os.environ``) gets the variables; pools already loaded in this process
    (numpy imported before) are resized with threadpoolctl.
    """
    env = os.environ if environ is None else environ
    for name in THREAD_VARIABLES:
        env.setdefault(name, str(n))
    if environ is None and "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        threadpool_limits(limits=n)
