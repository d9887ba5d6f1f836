"""The optional C kernels (`curation/_native.c`), built by `pip install` when a C compiler is there.

They cover the few loops numpy can only run as many passes over memory (character n-gram repetition, ...).
Every caller keeps a numpy path, which stays the reference: `module()` is None when the extension was not
built (no compiler: `setup.py` marks it optional) or when `QINGLIU_NATIVE=0`, and the caller then runs
numpy. Tests run both and require equal results; the kernels compute integers, so equal means identical.

Why C and not numba: numba's first call in a process costs ~0.75 CPU-s (its import, its CPU target, and
a scipy import), more than the kernels save on a 40 MB shard; an extension module imports in a millisecond
and needs no numpy headers (arrays come through the buffer protocol).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

ENV = "QINGLIU_NATIVE"  # "0": never use the C kernels

try:
    from curation import _native
except ImportError:  # not built: the numpy paths run
    _native = None


def module() -> ModuleType | None:
    """The C kernels, or None (not built, or switched off with `QINGLIU_NATIVE=0`; read on every call)."""
    if os.environ.get(ENV, "1") == "0":
        return None
    return _native


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the numpy paths inside the block (`QINGLIU_NATIVE=0`, the previous value restored after): the
    reference side of the tests that compare the kernels with numpy."""
    old = os.environ.get(ENV)
    os.environ[ENV] = "0"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
