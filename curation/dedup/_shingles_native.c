/* Dedup kernels (part of the optional module `curation._native`, see curation/native.py): shingles in
 * one pass, and MinHash minima with AVX2 where the CPU has it.
 *
 * shingle_hashes(cp, lens, table, ngram, out, sizes) -> shingles written
 *
 * The texts are cp[...] one after another (uint32 code points), lens[d] code points each. For every text
 * it writes the same uint32 shingle hashes as curation/dedup/shingles.py (`batch_shingle_hashes`, the
 * numpy reference that tests compare this with), into out, text after text, and their count in sizes[d]:
 *   tokens: every Han / kana / Hangul character (class 2) and every run of word characters (class 1);
 *           classes of the Basic Multilingual Plane come from `table`; above it, Han extensions B-H and
 *           the compatibility supplement are class 2, the rest separators;
 *   token hash: mix64(P-polynomial of its code points + length * golden);
 *   shingle: mix64(P-polynomial of `ngram` consecutive token hashes) >> 32, for texts with >= ngram tokens;
 *   a shorter text gets one shingle: the polynomial of all its tokens ^ SHORT_TAG, or, without tokens,
 *   of all its code points ^ RAW_TAG; an empty text gets none.
 * The polynomial of v[a..b) is sum v[j] P^(b-1-j) mod 2^64 (Horner), the value numpy builds from prefix
 * sums with inverse powers. numpy makes some twenty passes over the batch; this makes one. */
#include "../_native.h"

#define QN_P 0x100000001B3ULL
#define QN_GOLD 0x9E3779B97F4A7C15ULL
#define QN_SHORT_TAG 0x5BD1E9955BD1E995ULL
#define QN_RAW_TAG 0x2545F4914F6CDD1DULL

static inline uint64_t qn_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static inline int qn_token_class(uint32_t c, const unsigned char *table) {
    if (c < 0x10000)
        return table[c];
    return (c >= 0x20000 && c <= 0x323AF) || (c >= 0x2F800 && c <= 0x2FA1F) ? 2 : 0;
}

static PyObject *shingle_hashes(PyObject *self, PyObject *args) {
    PyObject *o[5];
    Py_buffer b[5];
    const char *names[5] = {"cp", "lens", "table", "out", "sizes"};
    const Py_ssize_t isz[5] = {4, 8, 1, 4, 8};
    const char *formats[5] = {"IL", "lq", "B", "IL", "lq"};
    const int writable[5] = {0, 0, 0, 1, 1};
    int ngram, got = 0;
    PyObject *result = NULL;
    uint64_t *tok = NULL;
    if (!PyArg_ParseTuple(args, "OOOiOO", &o[0], &o[1], &o[2], &ngram, &o[3], &o[4]))
        return NULL;
    for (; got < 5; got++)
        if (qn_get_buf(o[got], &b[got], isz[got], formats[got], writable[got], names[got]) < 0)
            goto done;
    const uint32_t *cp = b[0].buf;
    const int64_t *lens = b[1].buf;
    const unsigned char *table = b[2].buf;
    uint32_t *out = b[3].buf;
    int64_t *sizes = b[4].buf;
    Py_ssize_t ncp = b[0].len / 4, k = b[1].len / 8, cap = b[3].len / 4;
    if (ngram < 1 || b[2].len != 0x10000 || b[4].len / 8 != k) {
        PyErr_SetString(PyExc_ValueError, "shingle_hashes: ngram < 1, or array sizes do not agree");
        goto done;
    }
    int64_t total = 0, longest = 0, need = 0;
    for (Py_ssize_t d = 0; d < k; d++) {
        if (lens[d] < 0) {
            PyErr_SetString(PyExc_ValueError, "shingle_hashes: a negative length");
            goto done;
        }
        total += lens[d];
        longest = lens[d] > longest ? lens[d] : longest;
        need += lens[d] == 0 ? 0 : (lens[d] - ngram + 1 > 1 ? lens[d] - ngram + 1 : 1);
    }
    if (total != ncp || need > cap) {
        PyErr_SetString(PyExc_ValueError, "shingle_hashes: lengths do not add up to cp, or out is too small");
        goto done;
    }
    tok = malloc((size_t)(longest > 0 ? longest : 1) * sizeof(uint64_t));
    if (!tok) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t written = 0;
    Py_BEGIN_ALLOW_THREADS
    const uint32_t *t = cp;
    for (Py_ssize_t d = 0; d < k; d++) {
        int64_t L = lens[d], m = 0;
        for (int64_t i = 0; i < L;) {
            int cls = qn_token_class(t[i], table);
            if (cls == 2) {
                tok[m++] = qn_mix64((uint64_t)t[i] + QN_GOLD);
                i++;
            } else if (cls == 1) {
                uint64_t h = 0;
                int64_t j = i;
                while (j < L && qn_token_class(t[j], table) == 1)
                    h = h * QN_P + t[j++];
                tok[m++] = qn_mix64(h + (uint64_t)(j - i) * QN_GOLD);
                i = j;
            } else {
                i++;
            }
        }
        int64_t before = written;
        if (m >= ngram) {
            for (int64_t w = 0; w + ngram <= m; w++) {
                uint64_t h = 0;
                for (int q = 0; q < ngram; q++)
                    h = h * QN_P + tok[w + q];
                out[written++] = (uint32_t)(qn_mix64(h) >> 32);
            }
        } else if (m > 0) {
            uint64_t h = 0;
            for (int64_t q = 0; q < m; q++)
                h = h * QN_P + tok[q];
            out[written++] = (uint32_t)(qn_mix64(h ^ QN_SHORT_TAG) >> 32);
        } else if (L > 0) {
            uint64_t h = 0;
            for (int64_t q = 0; q < L; q++)
                h = h * QN_P + t[q];
            out[written++] = (uint32_t)(qn_mix64(h ^ QN_RAW_TAG) >> 32);
        }
        sizes[d] = written - before;
        t += L;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromLongLong(written);
done:
    free(tok);
    qn_release(b, got);
    return result;
}

/* minhash_min(flat, sizes, alo, ahi, b, out): out[d, i] = min over the shingles x of text d of
 * (a_i * x + b_i) mod 2^64, with a_i = ahi_i * 2^32 + alo_i (curation/dedup/minhash.py keeps the high
 * 32 bits; an empty text keeps 2^64 - 1). For a 32-bit x, a_i * x mod 2^64 = alo_i * x + ((ahi_i * x mod
 * 2^32) << 32): one 32x32->64 and one 32x32->32 multiply, both AVX2 vector instructions, where numpy
 * multiplies 64-bit words in three passes over a (perm x chunk) matrix. Built for AVX2 only (GCC or
 * clang on x86-64); `minhash_available()` says whether this CPU runs it, else the numpy path runs (the
 * portable build of this loop measured slower than numpy). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define QN_MINHASH_AVX2 1
__attribute__((target("avx2"), optimize("O3")))
static void qn_minhash_avx2(const uint32_t *x, const int64_t *sizes, Py_ssize_t nd, const uint32_t *alo,
                            const uint32_t *ahi, const uint64_t *b, Py_ssize_t P, uint64_t *out) {
    for (Py_ssize_t d = 0; d < nd; d++) {
        uint64_t *m = out + d * P;
        for (Py_ssize_t i = 0; i < P; i++)
            m[i] = UINT64_MAX;
        for (int64_t j = 0; j < sizes[d]; j++) {
            uint64_t v = x[j];
            uint32_t v32 = x[j];
            for (Py_ssize_t i = 0; i < P; i++) {
                uint64_t h = (uint64_t)alo[i] * v + ((uint64_t)(uint32_t)(ahi[i] * v32) << 32) + b[i];
                m[i] = h < m[i] ? h : m[i];
            }
        }
        x += sizes[d];
    }
}
#endif

static PyObject *minhash_available(PyObject *self, PyObject *noargs) {
#ifdef QN_MINHASH_AVX2
    __builtin_cpu_init();
    return PyBool_FromLong(__builtin_cpu_supports("avx2") != 0);
#else
    Py_RETURN_FALSE;
#endif
}

static PyObject *minhash_min(PyObject *self, PyObject *args) {
    PyObject *o[6];
    Py_buffer bf[6];
    const char *names[6] = {"flat", "sizes", "alo", "ahi", "b", "out"};
    const Py_ssize_t isz[6] = {4, 8, 4, 4, 8, 8};
    const char *formats[6] = {"IL", "lq", "IL", "IL", "kLQ", "kLQ"};
    int got = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]))
        return NULL;
    for (; got < 6; got++)
        if (qn_get_buf(o[got], &bf[got], isz[got], formats[got], got == 5, names[got]) < 0)
            goto done;
#ifdef QN_MINHASH_AVX2
    {
        Py_ssize_t n = bf[0].len / 4, nd = bf[1].len / 8, P = bf[2].len / 4;
        const int64_t *sizes = bf[1].buf;
        int64_t total = 0;
        for (Py_ssize_t d = 0; d < nd; d++) {
            if (sizes[d] < 0) {
                PyErr_SetString(PyExc_ValueError, "minhash_min: a negative size");
                goto done;
            }
            total += sizes[d];
        }
        if (total != n || bf[3].len / 4 != P || bf[4].len / 8 != P || bf[5].len / 8 != nd * P) {
            PyErr_SetString(PyExc_ValueError, "minhash_min: array sizes do not agree");
            goto done;
        }
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx2")) {
            PyErr_SetString(PyExc_RuntimeError, "minhash_min: this CPU has no AVX2 (check minhash_available())");
            goto done;
        }
        Py_BEGIN_ALLOW_THREADS
        qn_minhash_avx2(bf[0].buf, sizes, nd, bf[2].buf, bf[3].buf, bf[4].buf, P, bf[5].buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
#else
    PyErr_SetString(PyExc_RuntimeError, "minhash_min: not built for this platform (check minhash_available())");
#endif
done:
    qn_release(bf, got);
    return result;
}

PyMethodDef qn_shingle_methods[] = {
    {"minhash_available", minhash_available, METH_NOARGS,
     "minhash_available(): True when minhash_min runs on this CPU (built for x86-64, and the CPU has AVX2)."},
    {"minhash_min", minhash_min, METH_VARARGS,
     "minhash_min(flat, sizes, alo, ahi, b, out): MinHash minima of many texts (see curation/dedup/minhash.py)."},
    {"shingle_hashes", shingle_hashes, METH_VARARGS,
     "shingle_hashes(cp, lens, table, ngram, out, sizes): dedup shingle hashes of many texts in one pass "
     "(see curation/dedup/shingles.py)."},
    {NULL, NULL, 0, NULL},
};
