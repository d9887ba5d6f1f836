/* Qingliu's optional C kernels (see curation/native.py): loops that numpy can only express as many passes
 * over memory. Every function has a numpy reference in Python that gives the same numbers; tests compare
 * the two. Arrays come in through the buffer protocol (numpy arrays, C-contiguous, dtypes checked by the
 * Python wrappers), so this file needs no numpy headers. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* char_ngram_counts(codes, off, rn, rhead, rtail, best, cover)
 *
 * For every sequence d (codes[off[d]:off[d + 1]], int64 code points) and round r (n = rn[r]):
 *   best[d, r]  = the largest number of occurrences of one n-gram,
 *   cover[d, r] = characters covered by every occurrence but the first of each repeated n-gram.
 * An n-gram at p is named by (head, tail): head = the code point at p (rhead[r] == 1) or the id of the
 * rhead[r]-gram at p; tail = the code point at p + n - 1 (rtail[r] == 1) or the id of the 5-gram at
 * p + n - 5 (rtail[r] == 5). Ids number the distinct n-grams of one sequence; an n-gram whose head or tail
 * does not repeat gets id -1 (it cannot repeat), which is the numpy path's choice of candidates. Rounds
 * come in ascending n; the rounds a head or tail refers to come earlier. Keys are compared whole, so the
 * hash only decides where a key is stored: the ids are exact. */

static int get_i64(PyObject *obj, Py_buffer *buf, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, buf, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (buf->itemsize != 8 || buf->format == NULL || (strcmp(buf->format, "l") && strcmp(buf->format, "q")
                                                       && strcmp(buf->format, "<q") && strcmp(buf->format, "<l"))) {
        PyErr_Format(PyExc_TypeError, "%s: an int64 array is needed (format %s)", name,
                     buf->format ? buf->format : "?");
        PyBuffer_Release(buf);
        return -1;
    }
    return 0;
}

static PyObject *char_ngram_counts(PyObject *self, PyObject *args) {
    PyObject *o[7];
    Py_buffer b[7];
    const char *names[7] = {"codes", "off", "rn", "rhead", "rtail", "best", "cover"};
    int got = 0;
    PyObject *result = NULL;
    int64_t *ids = NULL, *tkeys = NULL, *tvals = NULL, *counts = NULL;
    char *seen = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6]))
        return NULL;
    for (; got < 7; got++)
        if (get_i64(o[got], &b[got], got >= 5, names[got]) < 0)
            goto done;
    const int64_t *codes = b[0].buf, *off = b[1].buf, *rn = b[2].buf, *rhead = b[3].buf, *rtail = b[4].buf;
    int64_t *best = b[5].buf, *cover = b[6].buf;
    Py_ssize_t k = b[1].len / 8 - 1, m = b[2].len / 8;
    if (k < 0 || b[3].len / 8 != m || b[4].len / 8 != m || b[5].len / 8 != k * m || b[6].len / 8 != k * m) {
        PyErr_SetString(PyExc_ValueError, "char_ngram_counts: array sizes do not agree");
        goto done;
    }
    Py_ssize_t ncodes = b[0].len / 8;
    int64_t longest = 0;
    for (Py_ssize_t d = 0; d < k; d++) {
        if (off[d] < 0 || off[d + 1] < off[d] || off[d + 1] > ncodes) {
            PyErr_SetString(PyExc_ValueError, "char_ngram_counts: offsets out of range");
            goto done;
        }
        if (off[d + 1] - off[d] > longest)
            longest = off[d + 1] - off[d];
    }
    /* slot r of ids holds round r's id at every position of the current sequence */
    for (Py_ssize_t r = 0; r < m; r++) {
        int ok = rn[r] >= 2 && (rtail[r] == 1 || rtail[r] == 5) && rhead[r] >= 1 && rhead[r] < rn[r];
        for (Py_ssize_t q = 0; ok && q < r && rn[q] >= rn[r]; q++)
            ok = 0;
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "char_ngram_counts: bad rounds");
            goto done;
        }
    }
    Py_ssize_t head_slot[64], tail_slot[64];
    if (m > 64) {
        PyErr_SetString(PyExc_ValueError, "char_ngram_counts: at most 64 rounds");
        goto done;
    }
    for (Py_ssize_t r = 0; r < m; r++) {
        head_slot[r] = tail_slot[r] = -1;
        for (Py_ssize_t q = 0; q < r; q++) {
            if (rn[q] == rhead[r])
                head_slot[r] = q;
            if (rn[q] == 5)
                tail_slot[r] = q;
        }
        if ((rhead[r] > 1 && head_slot[r] < 0) || (rtail[r] == 5 && tail_slot[r] < 0)) {
            PyErr_SetString(PyExc_ValueError, "char_ngram_counts: a round refers to a round not computed before it");
            goto done;
        }
    }
    int64_t cap = 2;
    while (cap < 2 * longest)
        cap *= 2;
    Py_ssize_t width = (Py_ssize_t)longest + 1;
    ids = malloc(sizeof(int64_t) * (size_t)(m ? m : 1) * (size_t)width);
    tkeys = malloc(sizeof(int64_t) * (size_t)cap);
    tvals = malloc(sizeof(int64_t) * (size_t)cap);
    counts = malloc(sizeof(int64_t) * (size_t)width);
    seen = malloc((size_t)width);
    if (!ids || !tkeys || !tvals || !counts || !seen) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < k; d++) {
        const int64_t *c = codes + off[d];
        int64_t length = off[d + 1] - off[d];
        int64_t size = 2;
        int bits = 1;
        while (size < 2 * length) {
            size *= 2;
            bits++;
        }
        int64_t mask = size - 1;
        for (Py_ssize_t r = 0; r < m; r++) {
            int64_t n = rn[r];
            int64_t *cur = ids + r * width;
            const int64_t *hids = head_slot[r] >= 0 ? ids + head_slot[r] * width : NULL;
            const int64_t *tids = tail_slot[r] >= 0 && rtail[r] == 5 ? ids + tail_slot[r] * width : NULL;
            for (int64_t i = 0; i < size; i++)
                tkeys[i] = -1;
            for (int64_t p = 0; p < length; p++)
                cur[p] = -1;
            int64_t nid = 0, last = length - n;
            for (int64_t p = 0; p <= last; p++) {
                int64_t a, t;
                if (hids) {
                    a = hids[p];
                    if (a < 0)
                        continue;
                } else {
                    a = c[p];
                }
                if (tids) {
                    t = tids[p + n - 5];
                    if (t < 0)
                        continue;
                } else {
                    t = c[p + n - 1];
                }
                int64_t key = (int64_t)(((uint64_t)a << 32) | (uint64_t)t);
                int64_t h = (int64_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
                for (;;) {
                    if (tkeys[h] == -1) {
                        tkeys[h] = key;
                        tvals[h] = nid;
                        counts[nid] = 1;
                        cur[p] = nid++;
                        break;
                    }
                    if (tkeys[h] == key) {
                        counts[tvals[h]]++;
                        cur[p] = tvals[h];
                        break;
                    }
                    h = (h + 1) & mask;
                }
            }
            int64_t top = 0;
            for (int64_t g = 0; g < nid; g++) {
                if (counts[g] > top)
                    top = counts[g];
                seen[g] = 0;
            }
            int64_t prev = -1, covered = 0;
            for (int64_t p = 0; p <= last; p++) {
                int64_t g = cur[p];
                if (g < 0)
                    continue;
                if (counts[g] < 2) {
                    cur[p] = -1; /* does not repeat: no n-gram it heads can */
                    continue;
                }
                if (!seen[g]) {
                    seen[g] = 1;
                    continue;
                }
                if (prev >= 0)
                    covered += (p - prev < n) ? p - prev : n;
                prev = p;
            }
            if (prev >= 0)
                covered += n;
            best[d * m + r] = top;
            cover[d * m + r] = covered;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    free(ids);
    free(tkeys);
    free(tvals);
    free(counts);
    free(seen);
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&b[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"char_ngram_counts", char_ngram_counts, METH_VARARGS,
     "char_ngram_counts(codes, off, rn, rhead, rtail, best, cover): per sequence and round, the largest "
     "n-gram count and the characters covered by repeats (see curation/quality/batch.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_native", "Qingliu's optional C kernels.", -1,
                                       methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&moduledef); }
