"""Build the demo corpus: clean documents per language and genre, then planted duplicates, PII and junk.

Everything comes from one `random.Random(seed)`, so the same seed gives byte-identical files (gzip
headers carry mtime 0 and no file name). Sizes at `scale=1.0`: about 2,500 documents, ~70% zh /
20% bilingual / 10% en by characters. Shares of planted documents follow the issue: 4% exact
duplicates, 6% near duplicates, 8% documents with PII (otherwise clean), 10% low quality.
"""

from __future__ import annotations

import collections
import itertools
import random
from dataclasses import dataclass, field

from curation.demo import bank_en, bank_pii, bank_zh
from curation.demo.noise import EDITS, LOW_QUALITY, LOW_QUALITY_WEIGHTS, split_sentences
from curation.demo.pii import render
from curation.demo.slots import fill, fill_pair

SHARES = {"exact_dup": 0.04, "near_dup": 0.06, "pii": 0.08, "low_quality": 0.10}
# Share of clean documents per language (by count); tuned so characters land near 70/20/10.
LANG_DOC_SHARES = {"zh": 0.815, "bilingual": 0.125, "en": 0.06}
# genre -> (source name, weight, sentences per doc (min, max), sentences per paragraph (min, max))
ZH_GENRES = {
    "news": ("news", 0.30, (9, 20), (2, 4)), "wiki": ("wiki", 0.25, (9, 18), (2, 5)),
    "forum": ("forum", 0.15, (7, 15), (1, 2)), "reviews": ("reviews", 0.15, (7, 14), (1, 3)),
    "howto": ("web", 0.15, (8, 16), (1, 3)),
}
EN_GENRES = {"news": ("news", 0.55, (5, 10), (1, 3)), "wiki": ("wiki", 0.45, (5, 9), (2, 4))}
SOURCES = {"zh": ["news", "wiki", "forum", "reviews", "web"], "bilingual": ["news", "wiki", "web"],
           "en": ["news", "wiki", "web"]}
# Overlap guard: a clean document may share at most this Jaccard of sentence templates with any earlier one
# (tighter for the smaller en and pair banks; 0.15 for zh costs ~10x the time for no visible gain).
MAX_TEMPLATE_JACCARD = {"zh": 0.2, "en": 0.15, "bilingual": 0.15}
GUARD_TRIES = 40
ZH_HEADLINES = bank_zh.lines(bank_zh.HEADLINES)
EN_HEADLINES = bank_zh.lines(bank_en.EN_HEADLINES)


@dataclass
class Doc:
    """One demo document before ids are assigned (`dup_of` is the original's index in build order)."""

    lang: str
    source: str
    text: str
    kind: str = "clean"
    templates: frozenset = frozenset()
    dup_of: int | None = None
    edit: str | None = None
    low_quality: str | None = None
    pii: list = field(default_factory=list)
    hard_negatives: list = field(default_factory=list)


class _Guard:
    """Inverted index over sentence-template ids: rejects a new doc too similar to an earlier one."""

    def __init__(self):
        self.index: dict[tuple, list[int]] = collections.defaultdict(list)
        self.sets: list[frozenset] = []

    def worst(self, templates: frozenset) -> float:
        shared = collections.Counter(d for t in templates for d in self.index[t])
        return max((n / (len(templates) + len(self.sets[d]) - n) for d, n in shared.items()), default=0.0)

    def add(self, templates: frozenset):
        for t in templates:
            self.index[t].append(len(self.sets))
        self.sets.append(templates)


def _pick(rng, bank_key, bank, k_range, guard):
    limit = MAX_TEMPLATE_JACCARD[bank_key.split("/")[0] if "/" in bank_key else "bilingual"]
    best = None
    for _ in range(GUARD_TRIES):
        idx = rng.sample(range(len(bank)), min(len(bank), rng.randint(*k_range)))
        tset = frozenset((bank_key, i) for i in idx)
        score = guard.worst(tset)
        if best is None or score < best[0]:
            best = (score, idx, tset)
        if score <= limit:
            break
    guard.add(best[2])
    return best[1], best[2]


def _paragraphs(rng, sents, para_range, sep):
    out, i = [], 0
    while i < len(sents):
        n = rng.randint(*para_range)
        out.append(sep.join(sents[i:i + n]))
        i += n
    return "\n".join(out)


def _zh_doc(rng, guard) -> Doc:
    genre = rng.choices(list(ZH_GENRES), weights=[g[1] for g in ZH_GENRES.values()])[0]
    source, _, k_range, para = ZH_GENRES[genre]
    bank = bank_zh.BANKS[genre]
    idx, tset = _pick(rng, "zh/" + genre, bank, k_range, guard)
    sents = [fill(bank[i], rng) for i in idx]
    text = _paragraphs(rng, sents, para, "")
    if genre == "news" and rng.random() < 0.7:
        text = fill(rng.choice(ZH_HEADLINES), rng) + "\n" + text
    return Doc("zh", source, text, templates=tset)


def _en_doc(rng, guard) -> Doc:
    genre = rng.choices(list(EN_GENRES), weights=[g[1] for g in EN_GENRES.values()])[0]
    source, _, k_range, para = EN_GENRES[genre]
    bank = bank_en.BANKS[genre]
    idx, tset = _pick(rng, "en/" + genre, bank, k_range, guard)
    sents = [_cap(fill(bank[i], rng)) for i in idx]
    text = _paragraphs(rng, sents, para, " ")
    if genre == "news" and rng.random() < 0.7:
        text = fill(rng.choice(EN_HEADLINES), rng) + "\n" + text
    return Doc("en", source, text, templates=tset)


def _bilingual_doc(rng, guard) -> Doc:
    idx, tset = _pick(rng, "pairs", bank_en.PAIRS, (6, 14), guard)
    pairs = [fill_pair(*bank_en.PAIRS[i], rng) for i in idx]
    pairs = [(zh, _cap(en)) for zh, en in pairs]
    if rng.random() < 0.5:  # line by line: zh, then its translation
        text = "\n".join(f"{zh}\n{en}" for zh, en in pairs)
    else:  # a zh paragraph followed by its English translation
        text = "".join(zh for zh, _ in pairs) + "\n\n" + " ".join(en for _, en in pairs)
    return Doc("bilingual", rng.choice(SOURCES["bilingual"]), text, templates=tset)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _insert_sentences(rng, doc: Doc, templates: list[str]):
    """Insert rendered `templates` at sentence boundaries of `doc` (in one pass), recording exact offsets."""
    assert not doc.pii and not doc.hard_negatives, "insert all planted sentences in one call"
    lang = "en" if doc.lang == "en" else "zh"
    sents = split_sentences(doc.text, lang)
    for template in templates:
        pos = rng.randint(0, len(sents))
        text, pii, negs = render(template, rng)
        if lang == "en":
            text += " "
        sents.insert(pos, (text, pii, negs))
    out, offset, spans = [], 0, {"pii": [], "hard_negatives": []}
    for s in sents:
        if isinstance(s, tuple):
            text, pii, negs = s
            spans["pii"] += [{**p, "start": p["start"] + offset, "end": p["end"] + offset} for p in pii]
            spans["hard_negatives"] += [{**p, "start": p["start"] + offset, "end": p["end"] + offset} for p in negs]
            s = text
        out.append(s)
        offset += len(s)
    doc.text = "".join(out).rstrip(" ") if lang == "en" else "".join(out)
    doc.pii += spans["pii"]
    doc.hard_negatives += spans["hard_negatives"]


def build(seed: int = 0, scale: float = 1.0) -> list[Doc]:
    """All demo documents in build order (originals before their duplicates)."""
    rng = random.Random(seed)
    total = max(40, round(2500 * scale))
    planted = {k: max(2, round(total * v)) for k, v in SHARES.items()}
    n_clean = total - planted["exact_dup"] - planted["near_dup"] - planted["low_quality"]
    guard = _Guard()
    makers = {"zh": _zh_doc, "bilingual": _bilingual_doc, "en": _en_doc}
    langs = rng.choices(list(LANG_DOC_SHARES), weights=list(LANG_DOC_SHARES.values()), k=n_clean)
    docs = [makers[lang](rng, guard) for lang in langs]

    # PII (otherwise clean) and hard negatives: disjoint from the duplicate originals chosen below.
    # en gets a larger share of the PII docs than of the corpus so every en-only type is planted; the
    # templates are cycled (not drawn) so every type appears even at small scales.
    order = list(range(len(docs)))
    rng.shuffle(order)
    n_pii_en = max(1, round(planted["pii"] * 0.2))
    en_ids = [i for i in order if docs[i].lang == "en"][:n_pii_en]
    pii_ids = en_ids + [i for i in order if docs[i].lang != "en"][: planted["pii"] - len(en_ids)]
    taken = set(pii_ids)
    rest = [i for i in order if i not in taken]
    cycles = {k: itertools.cycle(rng.sample(v, len(v))) for k, v in
              {"zh_pii": bank_pii.ZH_PII, "en_pii": bank_pii.EN_PII, "zh_neg": bank_pii.ZH_NEG,
               "en_neg": bank_pii.EN_NEG}.items()}
    for i in pii_ids:
        d = docs[i]
        key = "en" if d.lang == "en" else "zh"
        templates = [next(cycles[key + "_pii"]) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            templates.append(next(cycles[key + "_neg"]))
        _insert_sentences(rng, d, templates)
    n_neg = max(2, round(len(docs) * 0.06))
    neg_ids, rest = rest[:n_neg], rest[n_neg:]
    for i in neg_ids:
        key = ("en" if docs[i].lang == "en" else "zh") + "_neg"
        _insert_sentences(rng, docs[i], [next(cycles[key]) for _ in range(rng.randint(1, 2))])

    # Duplicates of long-enough plain clean documents.
    originals = [i for i in rest if len(docs[i].text) >= 250 and len(split_sentences(docs[i].text, docs[i].lang)) >= 6]
    rng.shuffle(originals)
    for j in range(planted["exact_dup"]):
        o = docs[originals[j % len(originals)]]
        src = rng.choice([s for s in SOURCES[o.lang] if s != o.source] or SOURCES[o.lang])
        docs.append(Doc(o.lang, src, o.text, kind="exact_dup", dup_of=originals[j % len(originals)]))
    edit_names = list(EDITS)
    for j in range(planted["near_dup"]):
        oi = originals[(planted["exact_dup"] + j) % len(originals)]
        o = docs[oi]
        edit = edit_names[j % len(edit_names)]
        docs.append(Doc(o.lang, rng.choice(SOURCES[o.lang]), EDITS[edit](rng, o.text, o.lang),
                        kind="near_dup", dup_of=oi, edit=edit))

    # Low-quality documents: mostly in the zh crawl, some in the en one.
    # A few empty texts, then one of each type (so small scales still cover them all), then weighted draws.
    n_lq = planted["low_quality"]
    n_empty = max(2, round(n_lq * 0.02))
    kinds = [k for k in LOW_QUALITY_WEIGHTS if LOW_QUALITY_WEIGHTS[k]]
    lq_types = ["empty"] * n_empty + kinds + rng.choices(kinds, weights=[LOW_QUALITY_WEIGHTS[k] for k in kinds], k=n_lq)
    lq_types = lq_types[:n_lq]
    zh_clean = [d.text for d in docs if d.lang == "zh" and d.kind == "clean" and not d.pii]
    for typ in lq_types:
        lang = "en" if typ in ("gibberish", "html", "too_short", "number_table") and rng.random() < 0.3 else "zh"
        text = LOW_QUALITY[typ](rng, rng.choice(zh_clean), lang)
        docs.append(Doc(lang, "web" if rng.random() < 0.7 else rng.choice(SOURCES[lang]), text,
                        kind="low_quality", low_quality=typ))
    return docs
