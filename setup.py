"""Shim for Beam's --setup_file (Dataflow workers install the package from it); metadata is in setup.cfg.

The one thing setup.cfg cannot say: the optional C kernels, one extension module `curation._native` (see
curation/native.py) built from curation/_native.c (n-grams, normalization, class histograms),
curation/quality/_fasttext_native.c (fastText scoring), curation/text/_script_native.c (language
routing) and curation/dedup/_shingles_native.c (dedup shingles and MinHash minima). `optional=True`:
where no compiler is found the install goes on, and the numpy paths run instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "curation._native",
    ["curation/_native.c", "curation/quality/_fasttext_native.c", "curation/text/_script_native.c",
     "curation/dedup/_shingles_native.c"],
    depends=["curation/_native.h"], optional=True, extra_compile_args=["-O2", "-std=c99"])])
