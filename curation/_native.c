/* Qingliu's optional C kernels (see curation/native.py): loops that numpy can only express as many passes
 * over memory. Every function has a numpy reference in Python that gives the same numbers; tests compare
 * the two. Arrays come in through the buffer protocol (numpy arrays, C-contiguous, dtypes checked by the
 * Python wrappers), so this file needs no numpy headers. */
#include "_native.h"

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

int qn_get_buf(PyObject *obj, Py_buffer *buf, Py_ssize_t itemsize, const char *kinds, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, buf, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    const char *f = buf->format ? buf->format : "B";
    while (*f == '<' || *f == '=' || *f == '@')
        f++;
    if (buf->itemsize != itemsize || f[0] == '\0' || f[1] != '\0' || !strchr(kinds, f[0])) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes (%s) are needed, not format %s", name, itemsize,
                     kinds, buf->format ? buf->format : "B");
        PyBuffer_Release(buf);
        return -1;
    }
    return 0;
}

void qn_release(Py_buffer *b, int got) {
    for (int i = 0; i < got; i++)
        PyBuffer_Release(&b[i]);
}

static PyObject *char_ngram_counts(PyObject *self, PyObject *args) {
    PyObject *o[7];
    Py_buffer b[7];
    const char *names[7] = {"codes", "off", "rn", "rhead", "rtail", "best", "cover"};
    int got = 0;
    PyObject *result = NULL;
    int64_t *ids = NULL, *tkeys = NULL, *tvals = NULL, *counts = NULL, *tstamp = NULL;
    char *seen = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6]))
        return NULL;
    for (; got < 7; got++)
        if (qn_get_buf(o[got], &b[got], 8, "lq", got >= 5, names[got]) < 0)
            goto done;
    const int64_t *codes = b[0].buf, *off = b[1].buf, *rn = b[2].buf, *rhead = b[3].buf, *rtail = b[4].buf;
    int64_t *best = b[5].buf, *cover = b[6].buf;
    Py_ssize_t k = b[1].len / 8 - 1, m = b[2].len / 8;
    if (k < 0 || b[3].len / 8 != m || b[4].len / 8 != m || b[5].len / 8 != k * m || b[6].len / 8 != k * m) {
        PyErr_SetString(PyExc_ValueError, "char_ngram_counts: array sizes do not agree");
        goto done;
    }
    Py_ssize_t ncodes = b[0].len / 8;
    /* keys pack two numbers of < 32 bits: a code point of 2**31 or more would make two n-grams one key */
    for (Py_ssize_t j = 0; j < ncodes; j++)
        if (codes[j] < 0 || codes[j] >= ((int64_t)1 << 31)) {
            PyErr_SetString(PyExc_ValueError, "char_ngram_counts: codes must be in [0, 2**31)");
            goto done;
        }
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
    tstamp = calloc((size_t)cap, sizeof(int64_t));
    counts = malloc(sizeof(int64_t) * (size_t)width);
    seen = malloc((size_t)width);
    if (!ids || !tkeys || !tvals || !counts || !seen || !tstamp) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t epoch = 0; /* a slot is empty unless tstamp says it was filled in this (sequence, round) */
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
            epoch++;
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
                    if (tstamp[h] != epoch) {
                        tstamp[h] = epoch;
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
    free(tstamp);
    qn_release(b, got);
    return result;
}


/* normalize_codes(cp, start, lens, mapped_t, packed_t, img, pool, mapped, mstart, mlen, out, ostart, olen, ok)
 *   -> characters used in `mapped` and `out`, or minus the room both need when they are too small
 *
 * The per-character part of `normalize_many` (curation/text/batch_normalize.py) for texts joined by NULs
 * (text i is cp[start[i]:start[i] + lens[i]], uint32 code points). packed_t holds each code point's folded
 * image (bits 0-20), 'the tables cannot map it alone' (bit 30) and 'its folded image is whitespace' (bit
 * 31). A BMP code point whose image is not one character (… -> ..., ㎡ -> m2) has img[4 cp .. 4 cp + 3] =
 * (start, length) of its mapped image and of its folded image in `pool` (each folded character with bit
 * 31 set where it is whitespace); img holds -1 for the others.
 *   ok[i]   = 0 when text i has a character that neither table maps (beyond the BMP, NUL), else 1;
 *   mapped  = every text's mapped characters (all 'a' for a text that is not ok, so that the caller's NFKC
 *             check of a run of texts cannot fail because of it), NUL after each; text i is
 *             mapped[mstart[i]:mstart[i] + mlen[i]];
 *   out     = every text's folded characters with whitespace runs collapsed to one space and stripped at
 *             both ends; text i is out[ostart[i]:ostart[i] + olen[i]].
 */
static PyObject *normalize_codes(PyObject *self, PyObject *args) {
    enum { NB = 14 };
    PyObject *o[NB];
    Py_buffer b[NB];
    const char *names[NB] = {"cp", "start", "lens", "mapped_t", "packed_t", "img", "pool", "mapped", "mstart",
                             "mlen", "out", "ostart", "olen", "ok"};
    const Py_ssize_t sizes[NB] = {4, 8, 8, 4, 4, 8, 4, 4, 8, 8, 4, 8, 8, 1};
    const char *formats[NB] = {"IL", "lq", "lq", "IL", "IL", "lq", "IL", "IL", "lq", "lq", "IL", "lq", "lq", "?Bb"};
    int got = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8],
                          &o[9], &o[10], &o[11], &o[12], &o[13]))
        return NULL;
    for (; got < NB; got++)
        if (qn_get_buf(o[got], &b[got], sizes[got], formats[got], got >= 7, names[got]) < 0)
            goto done;
    const uint32_t *cp = b[0].buf, *mapped_t = b[3].buf, *packed_t = b[4].buf, *pool = b[6].buf;
    const int64_t *start = b[1].buf, *lens = b[2].buf, *img = b[5].buf;
    uint32_t *mapped = b[7].buf, *out = b[10].buf;
    int64_t *mstart = b[8].buf, *mlen = b[9].buf, *ostart = b[11].buf, *olen = b[12].buf;
    unsigned char *ok = b[13].buf;
    Py_ssize_t n = b[0].len / 4, k = b[1].len / 8, npool = b[6].len / 4;
    Py_ssize_t room = b[7].len / 4 < b[10].len / 4 ? b[7].len / 4 : b[10].len / 4;
    int sizes_ok = b[2].len / 8 == k && b[3].len / 4 == 0x110000 && b[4].len / 4 == 0x110000
                   && b[5].len / 8 == 4 * 0x10000 && b[13].len == k;
    for (int i = 8; i <= 12; i++)
        if (i != 10 && b[i].len / 8 != k)
            sizes_ok = 0;
    if (!sizes_ok) {
        PyErr_SetString(PyExc_ValueError, "normalize_codes: array sizes do not agree");
        goto done;
    }
    for (Py_ssize_t i = 0; i < k; i++)
        if (start[i] < 0 || lens[i] < 0 || start[i] + lens[i] > n) {
            PyErr_SetString(PyExc_ValueError, "normalize_codes: a text runs past the code points");
            goto done;
        }
    for (Py_ssize_t c = 0; c < 0x10000; c++) {
        const int64_t *e = img + 4 * c;
        if (e[0] != -1 && (e[0] < 0 || e[1] < 0 || e[2] < 0 || e[3] < 0 || e[0] + e[1] > npool || e[2] + e[3] > npool)) {
            PyErr_SetString(PyExc_ValueError, "normalize_codes: an image runs past the pool");
            goto done;
        }
    }
    /* the room both outputs need: each character's longer image, a NUL after every text */
    int64_t need = k;
    for (Py_ssize_t i = 0; i < k; i++) {
        const uint32_t *t = cp + start[i];
        for (int64_t j = 0; j < lens[i]; j++) {
            uint32_t c = t[j];
            if (c >= 0x110000) {
                PyErr_SetString(PyExc_ValueError, "normalize_codes: a code point above U+10FFFF");
                goto done;
            }
            if (c < 0x10000 && img[4 * c] >= 0)
                need += img[4 * c + 1] > img[4 * c + 3] ? img[4 * c + 1] : img[4 * c + 3];
            else
                need += 1;
        }
    }
    if (need > room) {
        result = PyLong_FromLongLong(-need);
        goto done;
    }
    int64_t wm = 0, wo = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < k; i++) {
        const uint32_t *t = cp + start[i];
        int64_t len = lens[i];
        unsigned char good = 1;
        for (int64_t j = 0; j < len; j++)
            if ((packed_t[t[j]] & (1u << 30)) && !(t[j] < 0x10000 && img[4 * t[j]] >= 0)) {
                good = 0;
                break;
            }
        ok[i] = good;
        mstart[i] = wm;
        ostart[i] = wo;
        if (!good) {
            for (int64_t j = 0; j < len; j++)
                mapped[wm++] = 0x61;
            mlen[i] = len;
            mapped[wm++] = 0;
            olen[i] = 0;
            continue;
        }
        int pending = 0; /* a whitespace run after a written character, not written yet */
        int any = 0;     /* a character other than whitespace was written */
        for (int64_t j = 0; j < len; j++) {
            uint32_t c = t[j], p = packed_t[c];
            const uint32_t *f;
            int64_t nf;
            uint32_t single;
            if (p & (1u << 30)) { /* an image of several characters (or none) */
                const int64_t *e = img + 4 * c;
                for (int64_t q = 0; q < e[1]; q++)
                    mapped[wm++] = pool[e[0] + q];
                f = pool + e[2];
                nf = e[3];
            } else {
                mapped[wm++] = mapped_t[c];
                single = (p & 0x1FFFFF) | (p & (1u << 31));
                f = &single;
                nf = 1;
            }
            for (int64_t q = 0; q < nf; q++) {
                if (f[q] & (1u << 31)) {
                    pending = any;
                    continue;
                }
                if (pending) {
                    out[wo++] = 32;
                    pending = 0;
                }
                out[wo++] = f[q] & 0x1FFFFF;
                any = 1;
            }
        }
        mlen[i] = wm - mstart[i];
        mapped[wm++] = 0;
        olen[i] = wo - ostart[i];
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromLongLong(wm > wo ? wm : wo);
done:
    qn_release(b, got);
    return result;
}

/* class_hist(cp, off, index, hist): hist[d, index[c]] += 1 for every code point c of string d
 * (cp[off[d]:off[d + 1]], uint32; index: uint8 over all 0x110000 code points; hist: int64, k x combos,
 * zeroed by the caller). One pass instead of numpy's repeat + gather + bincount. */
static PyObject *class_hist(PyObject *self, PyObject *args) {
    PyObject *o[4];
    Py_buffer b[4];
    const char *names[4] = {"cp", "off", "index", "hist"};
    const Py_ssize_t sizes[4] = {4, 8, 1, 8};
    const char *formats[4] = {"IL", "lq", "B", "lq"};
    int got = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOO", &o[0], &o[1], &o[2], &o[3]))
        return NULL;
    for (; got < 4; got++)
        if (qn_get_buf(o[got], &b[got], sizes[got], formats[got], got == 3, names[got]) < 0)
            goto done;
    const uint32_t *cp = b[0].buf;
    const int64_t *off = b[1].buf;
    const unsigned char *index = b[2].buf;
    int64_t *hist = b[3].buf;
    Py_ssize_t n = b[0].len / 4, k = b[1].len / 8 - 1;
    if (k < 0 || b[2].len != 0x110000 || (k > 0 && (b[3].len / 8) % k)) {
        PyErr_SetString(PyExc_ValueError, "class_hist: array sizes do not agree");
        goto done;
    }
    Py_ssize_t c = k > 0 ? b[3].len / 8 / k : 0;
    for (Py_ssize_t d = 0; d < k; d++)
        if (off[d] < 0 || off[d + 1] < off[d] || off[d + 1] > n) {
            PyErr_SetString(PyExc_ValueError, "class_hist: offsets out of range");
            goto done;
        }
    for (Py_ssize_t j = 0; j < (k > 0 ? off[k] - off[0] : 0); j++) {
        uint32_t x = cp[off[0] + j];
        if (x >= 0x110000 || index[x] >= c) {
            PyErr_SetString(PyExc_ValueError, "class_hist: a code point above U+10FFFF or a class past hist's columns");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < k; d++) {
        int64_t *row = hist + d * c;
        for (int64_t j = off[d]; j < off[d + 1]; j++)
            row[index[cp[j]]]++;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    qn_release(b, got);
    return result;
}

static PyMethodDef methods[] = {
    {"char_ngram_counts", char_ngram_counts, METH_VARARGS,
     "char_ngram_counts(codes, off, rn, rhead, rtail, best, cover): per sequence and round, the largest "
     "n-gram count and the characters covered by repeats (see curation/quality/batch.py)."},
    {"normalize_codes", normalize_codes, METH_VARARGS,
     "normalize_codes(cp, start, lens, mapped_t, packed_t, img, pool, mapped, mstart, mlen, out, ostart, olen, "
     "ok): the per-character part of normalize_many (see curation/_native.c and batch_normalize.py)."},
    {"class_hist", class_hist, METH_VARARGS,
     "class_hist(cp, off, index, hist): per-string histogram of index[code point] (see curation/quality/batch.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_native",
    "Qingliu's optional C kernels (see curation/native.py); fastText's and routing's come from their own files.", -1,
    methods};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&moduledef);
    if (m && (PyModule_AddFunctions(m, qn_fasttext_methods) < 0 || PyModule_AddFunctions(m, qn_script_methods) < 0
              || PyModule_AddFunctions(m, qn_shingle_methods) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
