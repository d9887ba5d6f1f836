/* The optional C kernel of language routing (curation/text/langid.py): `line_scripts`' per-line weights for
 * many documents in one pass over their code points.
 *
 * The numpy path (`LanguageRouter._line_shares` without the kernel) stays the reference; it takes about ten
 * passes over the characters (line ids by cumsum, UTF-8 widths, bincounts per line and per document). The
 * numbers are integer counts, so both paths give the same values. Arrays come in through the buffer
 * protocol (no numpy headers); the Python wrapper makes them contiguous and of the right dtype, and the
 * kernel checks sizes and offsets. */
#include "../_native.h"

/* line_weights(cps, off, classes, out)
 *
 * Document d is cps[off[d]:off[d + 1]] (uint32 code points); classes (uint8 per code point 0..0x10FFFF):
 * bit 1 = Han, bit 2 = Latin, as `count_han_fast` / `count_latin_fast` count them. The document's lines are
 * split at "\n" (the "\n" belongs to no line). A line is Han-majority when it has Han and 3 x Han >= Latin,
 * else Latin-majority when it has Latin; it weighs its UTF-8 bytes (a surrogate: 3, as "surrogatepass")
 * without its U+0020 spaces. Out: out[d] (int64, 5 per document) = Han-majority weight, Latin-majority
 * weight, Han-majority lines, Latin-majority lines, "\n" count. All lines are counted; the caller leaves
 * out documents with too many ("\n" count). */
static PyObject *line_weights(PyObject *self, PyObject *args) {
    PyObject *o[4];
    Py_buffer b[4];
    int got = 0;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOO", &o[0], &o[1], &o[2], &o[3]))
        return NULL;
    static const char *kinds[4] = {"IL", "qlQL", "Bb?c", "ql"};
    static const Py_ssize_t sizes[4] = {4, 8, 1, 8};
    static const char *names[4] = {"cps", "off", "classes", "out"};
    for (; got < 4; got++)
        if (qn_get_buf(o[got], &b[got], sizes[got], kinds[got], got == 3, names[got]) < 0)
            goto done;
    const uint32_t *cps = b[0].buf;
    const int64_t *off = b[1].buf;
    const uint8_t *classes = b[2].buf;
    int64_t *out = b[3].buf;
    Py_ssize_t ncps = b[0].len / 4, ndocs = b[1].len / 8 - 1;
    if (ndocs < 0 || b[2].len < 0x110000 || b[3].len / 8 != 5 * ndocs) {
        PyErr_SetString(PyExc_ValueError, "line_weights: array sizes do not agree");
        goto done;
    }
    for (Py_ssize_t d = 0; d < ndocs; d++) {
        if (off[d] < 0 || off[d + 1] < off[d] || off[d + 1] > ncps) {
            PyErr_SetString(PyExc_ValueError, "line_weights: offsets out of range");
            goto done;
        }
        for (int64_t i = off[d]; i < off[d + 1]; i++)
            if (cps[i] >= 0x110000) {
                PyErr_SetString(PyExc_ValueError, "line_weights: a code point beyond U+10FFFF");
                goto done;
            }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < ndocs; d++) {
        int64_t zh_w = 0, en_w = 0, zh_n = 0, en_n = 0, breaks = 0, han = 0, lat = 0, w = 0;
        for (int64_t i = off[d]; i <= off[d + 1]; i++) {
            uint32_t c = i < off[d + 1] ? cps[i] : '\n'; /* the end closes the last line */
            if (c == '\n') {
                if (han && 3 * han >= lat) {
                    zh_w += w;
                    zh_n++;
                } else if (lat) {
                    en_w += w;
                    en_n++;
                }
                han = lat = w = 0;
                breaks += i < off[d + 1];
                continue;
            }
            han += classes[c] & 1;
            lat += (classes[c] >> 1) & 1;
            w += c == ' ' ? 0 : 1 + (c >= 0x80) + (c >= 0x800) + (c >= 0x10000);
        }
        int64_t *row = out + 5 * d;
        row[0] = zh_w;
        row[1] = en_w;
        row[2] = zh_n;
        row[3] = en_n;
        row[4] = breaks;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    qn_release(b, got);
    return result;
}

PyMethodDef qn_script_methods[] = {
    {"line_weights", line_weights, METH_VARARGS,
     "line_weights(cps, off, classes, out): per document, the Han- and Latin-majority lines' weights and "
     "counts and its line breaks (see curation/text/langid.py)."},
    {NULL, NULL, 0, NULL},
};
