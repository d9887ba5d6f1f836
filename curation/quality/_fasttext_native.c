/* The optional C kernel of BatchScorer (curation/quality/fasttext_batch.py): the logit sums of a fastText
 * quality model for a batch of samples, tokens and features made in one pass over their code points.
 *
 * The numpy path stays the reference: `fasttext_tagger` builds each sample's input view (mostly-Han samples
 * as characters, the others with `_word_view`), `BatchScorer._char_tokens` / `_word_tokens` make arrays of
 * tokens and hashes for the whole batch, `_features` the n-gram rows and `_predict` sums them with
 * `bincount`. This kernel makes the same tokens and features per document and adds the same float64 numbers
 * in the same order (the document's words in token order, then its n-grams by length, then by start), so the
 * sums are identical, not close. The mean, the softmax and the binding's float32 log stay in numpy, shared
 * by both paths. Arrays come in through the buffer protocol (no numpy headers); the Python wrapper makes
 * them contiguous and of the right dtype, and the kernel checks sizes and every index it reads through. */
#include "../_native.h"

/* Bits of the code point class table (fasttext_batch.py names them CLS_*). */
#define CLS_SEP 1       /* a fastText separator: space \n \r \t \v \f \0 */
#define CLS_HAN 2       /* Han as `han_counts` counts it: decides the character view */
#define CLS_SPACE 4     /* Python's str.isspace(): `_word_view` turns a run of them into one space */
#define CLS_HAN_TOKEN 8 /* a character `_word_view` makes a token of its own */

/* fastText's `Dictionary::hash` step for one code point: FNV-1a over its UTF-8 bytes, each byte
 * sign-extended to 32 bits first (`int8_t`). A surrogate is encoded as three bytes, as Python's
 * "surrogatepass" does, which is how the numpy path's character view reads it. */
static inline uint32_t fnv_codepoint(uint32_t h, uint32_t cp) {
    uint8_t b[4];
    int n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | (cp >> 6));
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (cp >> 12));
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (cp >> 18));
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    for (int i = 0; i < n; i++)
        h = (h ^ (uint32_t)(int32_t)(int8_t)b[i]) * 16777619u;
    return h;
}

#define FNV_BASIS 2166136261u

static inline uint32_t fnv_word(const uint32_t *c, int64_t n) {
    uint32_t h = FNV_BASIS;
    for (int64_t i = 0; i < n; i++)
        h = fnv_codepoint(h, c[i]);
    return h;
}

/* word_slots(cps, off, slots): an open-addressing table of the model's words (word i is
 * cps[off[i]:off[i + 1]]): each word's id in the first free slot (-1) from fnv(word) & (len(slots) - 1).
 * len(slots) is a power of two larger than the number of words. */
static PyObject *word_slots(PyObject *self, PyObject *args) {
    PyObject *o[3];
    Py_buffer b[3];
    int got = 0;
    PyObject *result = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOO", &o[0], &o[1], &o[2]))
        return NULL;
    static const char *kinds[3] = {"IL", "qlQL", "il"};
    static const Py_ssize_t sizes[3] = {4, 8, 4};
    static const char *names[3] = {"cps", "off", "slots"};
    for (; got < 3; got++)
        if (qn_get_buf(o[got], &b[got], sizes[got], kinds[got], got == 2, names[got]) < 0)
            goto done;
    const uint32_t *cps = b[0].buf;
    const int64_t *off = b[1].buf;
    int32_t *slots = b[2].buf;
    Py_ssize_t ncps = b[0].len / 4, nw = b[1].len / 8 - 1, nslots = b[2].len / 4;
    if (nw < 0 || nw >= nslots || nslots > INT32_MAX || (nslots & (nslots - 1))) {
        PyErr_SetString(PyExc_ValueError, "word_slots: the table must be a power of two larger than the words");
        goto done;
    }
    for (Py_ssize_t i = 0; i < nw; i++)
        if (off[i] < 0 || off[i + 1] < off[i] || off[i + 1] > ncps) {
            PyErr_SetString(PyExc_ValueError, "word_slots: offsets out of range");
            goto done;
        }
    for (Py_ssize_t s = 0; s < nslots; s++)
        slots[s] = -1;
    for (Py_ssize_t i = 0; i < nw; i++) {
        Py_ssize_t s = fnv_word(cps + off[i], off[i + 1] - off[i]) & (nslots - 1);
        while (slots[s] != -1)
            s = (s + 1) & (nslots - 1);
        slots[s] = (int32_t)i;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    qn_release(b, got);
    return result;
}

/* view_sums(cps, off, max_chars, cls, cp_word, wcps, woff, slots, weights, ngram_row, nwords, bucket,
 *           word_ngrams, eos_hash, eos_word, sums, counts)
 *
 * Document d is cps[off[d]:off[d + 1]] (uint32 code points), of which the first max_chars are its sample
 * (`fasttext_input`'s cut). cls
 * (uint8 per code point 0..0x10FFFF) holds the CLS_* bits. Tokens, as fastText reads the sample's input view:
 * - mostly Han (not empty, 2 x CLS_HAN characters >= length: `_every_char_a_token`): every character that is
 *   not a separator (the space-joined view);
 * - otherwise (`_word_view`): runs of characters split at CLS_SPACE and CLS_SEP characters, and every
 *   CLS_HAN_TOKEN character a token of its own. A surrogate pair in a token reads as its character and a
 *   lone surrogate as U+FFFD (the numpy path's conversion for Arrow). A view that is empty (no character
 *   but CLS_SPACE ones) is not scored: counts[d] = 0, as for a document without features.
 * then `</s>` (eos_hash, eos_word: its hash and word id, -1 if not a word). Word ids: cp_word (int32 per
 * code point) for one-character tokens, else the word table (slots, from word_slots, over the words
 * wcps[woff[i]:woff[i + 1]]). Features: word ids, and n = 2..word_ngrams word n-grams `h = h * 116049371
 * + next` over the sign-extended token hashes, bucket `h % bucket`, row nwords + ngram_row[bucket] (int64;
 * -1 = pruned; an empty ngram_row: row nwords + bucket). weights (float64) holds K numbers per row,
 * K = len(sums) / documents. Out: sums[d, k] (float64), the sum of the features' weights, and counts[d]
 * (int64), how many features. */
static PyObject *view_sums(PyObject *self, PyObject *args) {
    enum { NB = 11 };
    PyObject *o[NB];
    Py_buffer b[NB];
    long long max_chars, nwords, bucket, word_ngrams, eos_hash, eos_word;
    int got = 0;
    PyObject *result = NULL;
    uint64_t *sx = NULL, *acc = NULL;
    int64_t *wid = NULL;
    uint32_t *tok = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOLOOOOOOOLLLLLOO", &o[0], &o[1], &max_chars, &o[2], &o[3], &o[4], &o[5], &o[6],
                          &o[7], &o[8], &nwords, &bucket, &word_ngrams, &eos_hash, &eos_word, &o[9], &o[10]))
        return NULL;
    static const struct {
        Py_ssize_t size;
        const char *kinds;
        int writable;
        const char *name;
    } spec[NB] = {{4, "IL", 0, "cps"},  {8, "qlQL", 0, "off"}, {1, "Bb?c", 0, "cls"},  {4, "il", 0, "cp_word"},
                  {4, "IL", 0, "wcps"}, {8, "qlQL", 0, "woff"}, {4, "il", 0, "slots"}, {8, "d", 0, "weights"},
                  {8, "ql", 0, "ngram_row"}, {8, "d", 1, "sums"}, {8, "ql", 1, "counts"}};
    for (; got < NB; got++)
        if (qn_get_buf(o[got], &b[got], spec[got].size, spec[got].kinds, spec[got].writable, spec[got].name) < 0)
            goto done;
    const uint32_t *cps = b[0].buf, *wcps = b[4].buf;
    const int64_t *off = b[1].buf, *woff = b[5].buf, *ngram_row = b[8].buf;
    const uint8_t *cls = b[2].buf;
    const int32_t *cp_word = b[3].buf, *slots = b[6].buf;
    const double *weights = b[7].buf;
    double *sums = b[9].buf;
    int64_t *counts = b[10].buf;
    Py_ssize_t ncps = b[0].len / 4, ndocs = b[1].len / 8 - 1, nwcps = b[4].len / 4, nvocab = b[5].len / 8 - 1;
    Py_ssize_t nslots = b[6].len / 4, nweights = b[7].len / 8, npruned = b[8].len / 8;
    if (ndocs < 0 || b[10].len / 8 != ndocs || (ndocs == 0 ? b[9].len != 0 : b[9].len / 8 % ndocs != 0)) {
        PyErr_SetString(PyExc_ValueError, "view_sums: off, sums and counts do not agree");
        goto done;
    }
    Py_ssize_t K = ndocs ? b[9].len / 8 / ndocs : 1;
    if (K < 1 || nweights % K != 0 || b[2].len < 0x110000 || b[3].len / 4 < 0x110000 || nwords < 0
        || nwords > nweights / K || bucket < 1 || word_ngrams < 1 || (npruned != 0 && npruned != bucket)
        || eos_word >= nwords || nvocab < 0 || nslots < 1 || (nslots & (nslots - 1)) || max_chars < 0) {
        PyErr_SetString(PyExc_ValueError, "view_sums: bad tables or model numbers");
        goto done;
    }
    for (Py_ssize_t i = 0; i < nvocab; i++)
        if (woff[i] < 0 || woff[i + 1] < woff[i] || woff[i + 1] > nwcps) {
            PyErr_SetString(PyExc_ValueError, "view_sums: word offsets out of range");
            goto done;
        }
    int64_t nrows = nweights / K, longest = 0;
    for (Py_ssize_t d = 0; d < ndocs; d++) {
        if (off[d] < 0 || off[d + 1] < off[d] || off[d + 1] > ncps) {
            PyErr_SetString(PyExc_ValueError, "view_sums: offsets out of range");
            goto done;
        }
        if (off[d + 1] - off[d] > longest)
            longest = off[d + 1] - off[d];
    }
    if (longest > max_chars)
        longest = max_chars;
    size_t width = (size_t)longest + 1; /* a document has at most length + 1 tokens (</s>) */
    sx = malloc(sizeof(uint64_t) * width);
    acc = malloc(sizeof(uint64_t) * width);
    wid = malloc(sizeof(int64_t) * width);
    tok = malloc(sizeof(uint32_t) * width);
    if (!sx || !acc || !wid || !tok) {
        PyErr_NoMemory();
        goto done;
    }
    const char *bad = NULL;
    const uint64_t eos_sx = (uint64_t)(int64_t)(int32_t)(uint32_t)eos_hash;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t d = 0; d < ndocs && !bad; d++) {
        const uint32_t *c = cps + off[d];
        int64_t length = off[d + 1] - off[d], han = 0, nt = 0, n = 0;
        if (length > max_chars)
            length = max_chars;
        int any = 0; /* a character other than CLS_SPACE: the word view is not empty */
        for (int64_t i = 0; i < length; i++) {
            if (c[i] >= 0x110000) {
                bad = "view_sums: a code point beyond U+10FFFF";
                break;
            }
            han += (cls[c[i]] & CLS_HAN) != 0;
            any |= !(cls[c[i]] & CLS_SPACE);
        }
        if (bad)
            break;
        double *s = sums + d * K;
        for (Py_ssize_t k = 0; k < K; k++)
            s[k] = 0.0;
        if (length > 0 && 2 * han >= length) {
            for (int64_t i = 0; i < length; i++) {
                uint32_t cp = c[i];
                if (cls[cp] & CLS_SEP)
                    continue;
                sx[nt] = (uint64_t)(int64_t)(int32_t)fnv_codepoint(FNV_BASIS, cp);
                wid[nt++] = cp_word[cp];
            }
        } else if (!any) {
            counts[d] = 0;
            continue;
        } else {
            int64_t i = 0;
            while (i < length) {
                uint32_t cp = c[i];
                if (cls[cp] & (CLS_SPACE | CLS_SEP)) {
                    i++;
                    continue;
                }
                /* one token: c[i:j], surrogates read as Arrow's conversion reads them, into tok */
                int64_t j = i, m = 0;
                if (cls[cp] & CLS_HAN_TOKEN) {
                    tok[m++] = cp;
                    j++;
                } else {
                    while (j < length && !(cls[c[j]] & (CLS_SPACE | CLS_SEP | CLS_HAN_TOKEN))) {
                        uint32_t u = c[j++];
                        if (u >= 0xD800 && u <= 0xDBFF && j < length && c[j] >= 0xDC00 && c[j] <= 0xDFFF)
                            u = 0x10000 + ((u - 0xD800) << 10) + (c[j++] - 0xDC00);
                        else if (u >= 0xD800 && u <= 0xDFFF)
                            u = 0xFFFD;
                        tok[m++] = u;
                    }
                }
                i = j;
                uint32_t h = fnv_word(tok, m);
                int64_t w = -1;
                if (m == 1) {
                    w = cp_word[tok[0]];
                } else {
                    /* at most nslots probes: a table without a free slot (not one word_slots makes) ends too */
                    Py_ssize_t q = h & (nslots - 1);
                    for (Py_ssize_t probes = 0; probes < nslots && slots[q] != -1; probes++, q = (q + 1) & (nslots - 1)) {
                        int64_t v = slots[q];
                        if (v < 0 || v >= nvocab) {
                            bad = "view_sums: a word table entry out of range";
                            break;
                        }
                        if (woff[v + 1] - woff[v] == m && !memcmp(wcps + woff[v], tok, sizeof(uint32_t) * (size_t)m)) {
                            w = v;
                            break;
                        }
                    }
                }
                sx[nt] = (uint64_t)(int64_t)(int32_t)h;
                wid[nt++] = w;
            }
        }
        sx[nt] = eos_sx;
        wid[nt++] = eos_word;
        double s1 = 0.0; /* the sum where K == 1 (two labels), kept in a register */
        /* words, in token order */
        for (int64_t i = 0; i < nt && !bad; i++) {
            int64_t w = wid[i];
            if (w < 0)
                continue;
            if (w >= nwords) {
                bad = "view_sums: a word id out of range";
                break;
            }
            if (K == 1) {
                s1 += weights[w];
            } else {
                for (Py_ssize_t k = 0; k < K; k++)
                    s[k] += weights[w * K + k];
            }
            n++;
        }
        /* word n-grams of j + 1 tokens, by start: acc[i] becomes the hash of the n-gram at i (uint64 wraps,
         * as in C++) */
        for (int64_t i = 0; i < nt; i++)
            acc[i] = sx[i];
        for (int64_t j = 1; j < word_ngrams && !bad; j++) {
            for (int64_t i = 0; i + j < nt; i++) {
                acc[i] = acc[i] * 116049371u + sx[i + j];
                int64_t row = (int64_t)(acc[i] % (uint64_t)bucket);
                if (npruned) {
                    row = ngram_row[row];
                    if (row < 0)
                        continue;
                }
                if (row >= nrows - nwords) { /* checked before the add: no signed overflow */
                    bad = "view_sums: an n-gram row out of range";
                    break;
                }
                row += nwords;
                if (K == 1) {
                    s1 += weights[row];
                } else {
                    for (Py_ssize_t k = 0; k < K; k++)
                        s[k] += weights[row * K + k];
                }
                n++;
            }
        }
        if (K == 1)
            s[0] = s1;
        counts[d] = n;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    free(sx);
    free(acc);
    free(wid);
    free(tok);
    qn_release(b, got);
    return result;
}

PyMethodDef qn_fasttext_methods[] = {
    {"view_sums", view_sums, METH_VARARGS,
     "view_sums(cps, off, max_chars, cls, cp_word, wcps, woff, slots, weights, ngram_row, nwords, bucket, word_ngrams, "
     "eos_hash, eos_word, sums, counts): fastText feature sums of each sample's input view (see "
     "curation/quality/fasttext_batch.py)."},
    {"word_slots", word_slots, METH_VARARGS,
     "word_slots(cps, off, slots): the open-addressing table of the model's words that view_sums reads."},
    {NULL, NULL, 0, NULL},
};
