"""Compiled loops for the few hot spots numpy cannot express without many passes over memory.

A `Kernel` wraps a plain Python function written in numba's subset (loops over numpy arrays). On first
use it is compiled with `numba.njit(cache=True)`: the machine code is cached next to the module, so a
new worker process loads it instead of compiling again. numba is imported only then, so stages that never
call a kernel do not pay its import (~0.35 CPU-s).

Every caller keeps its numpy path, which is the reference: `Kernel.compiled()` is None when numba is not
installed (it comes with the `quality` extra) or when `QINGLIU_NUMBA=0`, and the caller then runs numpy.
Tests run both and require equal results. Kernels compute integers (counts, ids, sums of integers) or
sums in a fixed order, so the two paths give the same values, not merely close ones.
"""

from __future__ import annotations

import os
from typing import Callable

ENV = "QINGLIU_NUMBA"  # "0": never compile, run the numpy paths


def enabled() -> bool:
    """False when `QINGLIU_NUMBA=0` (read on every call, so tests can switch it)."""
    return os.environ.get(ENV, "1") != "0"


class Kernel:
    """A function compiled by numba on first use (or None: numba missing or switched off)."""

    def __init__(self, fn: Callable):
        self.py = fn  # the plain Python function: slow, but it runs anywhere (tests on tiny inputs)
        self._compiled: Callable | None | bool = None  # None: not tried yet; False: numba unavailable
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def compiled(self) -> Callable | None:
        if not enabled():
            return None
        if self._compiled is None:
            try:
                import numba
            except ImportError:
                self._compiled = False
            else:
                self._compiled = numba.njit(cache=True, nogil=True)(self.py)
        return self._compiled or None


def kernel(fn: Callable) -> Kernel:
    """Decorator: `@kernel def f(...)` -> `Kernel(f)`; call `f.compiled()` and fall back to numpy if None."""
    return Kernel(fn)
