/* Dedup shingles in one pass (part of the optional module `curation._native`, see curation/native.py).
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

PyMethodDef qn_shingle_methods[] = {
    {"shingle_hashes", shingle_hashes, METH_VARARGS,
     "shingle_hashes(cp, lens, table, ngram, out, sizes): dedup shingle hashes of many texts in one pass "
     "(see curation/dedup/shingles.py)."},
    {NULL, NULL, 0, NULL},
};
