/* Shared by the C files of the one optional extension module `curation._native` (see curation/native.py):
 * curation/_native.c (n-grams, normalization, class histograms; it defines the helpers below and the module),
 * curation/quality/_fasttext_native.c (fastText scoring), curation/text/_script_native.c (language routing),
 * curation/dedup/_shingles_native.c (dedup shingles). */
#ifndef QINGLIU_NATIVE_H
#define QINGLIU_NATIVE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Take a C-contiguous buffer of `itemsize`-byte items whose struct format letter is one of `kinds` (a
 * leading byte-order mark is ignored); on failure a TypeError names `name` and nothing is held. */
int qn_get_buf(PyObject *obj, Py_buffer *buf, Py_ssize_t itemsize, const char *kinds, int writable, const char *name);

/* Give back the first `got` buffers of b. */
void qn_release(Py_buffer *b, int got);

extern PyMethodDef qn_fasttext_methods[]; /* _fasttext_native.c */
extern PyMethodDef qn_script_methods[];   /* _script_native.c */
extern PyMethodDef qn_shingle_methods[];  /* dedup/_shingles_native.c */
#endif
