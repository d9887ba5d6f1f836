"""Shim for Beam's --setup_file (Dataflow workers install the package from it); metadata is in setup.cfg.

The one thing setup.cfg cannot say: the optional C kernels (`curation/_native.c`, see curation/native.py;
`curation/quality/_fasttext_native.c`, see curation/quality/fasttext_batch.py; `curation/text/_script_native.c`,
see curation/text/langid.py).
`optional=True`: where no compiler is found the install goes on, and the numpy paths run instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("curation._native", ["curation/_native.c"], optional=True,
                             extra_compile_args=["-O2", "-std=c99"]),
                   Extension("curation.quality._fasttext_native", ["curation/quality/_fasttext_native.c"],
                             optional=True, extra_compile_args=["-O2", "-std=c99"]),
                   Extension("curation.text._script_native", ["curation/text/_script_native.c"],
                             optional=True, extra_compile_args=["-O2", "-std=c99"])])
