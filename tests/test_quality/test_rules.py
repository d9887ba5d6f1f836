"""Rule pack: known-bad documents get the expected (first failing) reason; clean text is kept."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from curation.quality.registry import list_taggers, register_tagger, run_taggers
from curation.quality.rules_repetition import ngram_stats
from curation.quality.view import make_view
from curation.testing import make_doc
from tests.test_quality.conftest import verdict

ZH_CLEAN = ("国务院总理李鹏今天上午在人民大会堂会见了来访的美国客人，双方就共同关心的问题交换了意见。"
            "李鹏说，中美两国在维护世界和平与促进共同发展方面负有重要责任，两国关系的健康发展符合两国人民的根本利益。")
EN_CLEAN = ("The city council approved the new budget on Tuesday after a long debate about school funding. "
            "Officials said that the plan would add two hundred teachers and repair several old buildings, "
            "and that the money would come from a small increase in the property tax. Critics argued that the "
            "increase was too large for families who are already struggling with the cost of living, but the "
            "mayor said the investment was needed to keep the schools safe and to attract new residents.")
BI_CLEAN = "I love reading books in the evening.\n我喜欢在晚上读书。\nShe works at a hospital in Shanghai.\n她在上海的一家医院工作。"

CASES = [
    # (text, expected reason or None for kept)
    (ZH_CLEAN, None),
    (EN_CLEAN, None),
    (BI_CLEAN, None),
    ("這是一段繁體中文的新聞報導，記者今天在台北採訪了多位市民，他們對新的交通政策表示支持。", None),
    ("", "empty_text"),
    ("   \n\t\u3000  ", "empty_text"),
    ("😀😂🎉👍😀😂🎉👍", "no_letters"),
    ("。。。！！！？？？……——", "no_letters"),
    ("こんにちは、元気ですか。今日はいい天気ですね。明日も晴れるでしょう。", "lang_other"),
    ("好的", "too_short"),
    ("\n".join(["首页 | 新闻中心 | 产品展示 | 关于我们 | 联系我们"] * 2 + ["网站地图 | 登录 | 注册", "版权所有 © 2024"]),
     "boilerplate"),
    ("\n".join(["本帖最后由管理员于昨天编辑过。"] * 20), "dup_lines"),
    ("加微信领红包，免费领取，点击进入官网，限时抢购，全网最低价，日赚千元，代开发票，特价清仓，欢迎来电咨询我们的产品。", "ad_words"),
    ("澳门百家乐真人娱乐城开户送彩金，体育投注首存优惠，老虎机电子游艺天天返水，这是我们的新平台。", "flagged_words"),
    ("日期 | 开盘 | 最高 | 最低 | 收盘\n" + "\n".join(f"2024-01-{i:02d} | 12.{i} | 13.{i} | 11.{i} | 12.{i}" for i in range(1, 20)),
     "han_share_low"),
    ("涓浗鍥藉姟闄㈡€荤悊鏉庨箯浠婂ぉ涓婂崍鍦ㄤ汉姘戝ぇ浼氬爞浼氳浜嗘潵璁跨殑缇庡浗瀹汉锛屽弻鏂瑰氨鍏卞悓鍏冲績鐨勯棶棰樹氦鎹簡鎰忚銆",
     "rare_han"),
    ("新闻\ufffd\ufffd报道\ufffd今天\ufffd的\ufffd天气\ufffd很好\ufffd，我们\ufffd去\ufffd公园\ufffd散步\ufffd了。", "replacement_chars"),
    ("新闻报道\x00\x01\x02今天的天气很好\x03\x04，我们去了公园散步\x05\x06，看到了很多人在锻炼身体。", "control_chars"),
    ("<div class=\"nav\"><a href=\"/\">首页</a></div><br/><span>今天的新闻很重要，大家都在关注。</span>&nbsp;&nbsp;<br/>",
     "html"),
    ("The quick brown fox. " * 3 + "buy now cheap deals click here free shipping best price order now " * 3
     + "The dog and the cat have a home with the family.", "ad_words"),
    ("Home | News | Products | About Us | Contact\nLog in | Sign up | Privacy Policy\nCopyright 2024 All rights reserved",
     "too_short"),
    ("qwxz plok vrtn zzgh kkwp mnbv qazx wsxe edcr rfvt tgby yhnu ujmi ikol oplk " * 4, "lang_other"),
]
IDS = ["zh-clean", "en-clean", "bi-clean", "zh-traditional-clean", "empty", "whitespace-only", "emoji-only",
       "punct-only", "japanese", "zh-too-short", "zh-nav-menu", "zh-repeated-lines", "zh-ad-spam", "zh-gambling",
       "number-table", "gbk-mojibake", "replacement-chars", "control-chars", "html-remnants", "en-spam",
       "en-nav-menu", "en-gibberish"]


@pytest.mark.parametrize("text, reason", CASES, ids=IDS)
def test_reason(rules_only, text, reason):
    got, doc = verdict(rules_only, text)
    assert got == reason, {k: v for k, v in doc.attributes.items() if v}


def test_latin1_mojibake(rules_only):
    text = ("国务院总理今天上午会见了来访的客人，双方就共同关心的问题交换了意见。" * 2).encode("utf-8").decode("latin-1")
    assert verdict(rules_only, text)[0] == "lang_other"  # routing alone sends it away
    doc = rules_only.tag(make_doc(text, lang="zh"))  # forced zh (--lang zh): the garbled-text rules catch it
    assert rules_only.select(doc) in ("mojibake", "control_chars")
    assert doc.attributes["quality/mojibake_ratio_v1"] > 0.3


def test_ten_megabyte_document_bounded(rules_only):
    text = (ZH_CLEAN + "\n") * (10_000_000 // len((ZH_CLEAN + "\n").encode("utf-8")) + 1)
    assert len(text.encode("utf-8")) >= 10_000_000
    start = time.time()
    got, doc = verdict(rules_only, text)
    assert time.time() - start < 30
    assert got == "too_long"  # 3.4M non-space characters > 1M; it is also one paragraph repeated
    assert doc.attributes["quality/n_chars_v1"] > 3_000_000


def test_every_tagger_versioned_and_prefixed():
    names = list_taggers()
    assert names and all(n.rsplit("_", 1)[1].startswith("v") for n in names)
    attrs = run_taggers(names, make_view(ZH_CLEAN, "zh"))
    assert all(k.startswith("quality/") and k.rsplit("_", 1)[1].startswith("v") for k in attrs)


def test_register_rejects_bad_names():
    with pytest.raises(ValueError):
        register_tagger("no_version")


def test_zh_ngrams_are_characters():
    view = make_view("我爱北京天安门。" * 20, "zh")
    attrs = run_taggers(["repetition_v1"], view)
    assert attrs["quality/dup_ngram_5_v1"] > 0.8 and attrs["quality/top_ngram_2_v1"] > 0.1


def _brute_force(codes, lengths, top_ns=(2, 3, 4), dup_ns=(5, 10, 13)):
    cum, total, out = np.concatenate(([0], np.cumsum(lengths))), int(lengths.sum()), {}
    for n in top_ns:
        grams: dict = {}
        for i in range(len(codes) - n + 1):
            grams.setdefault(tuple(codes[i:i + n]), []).append(i)
        best = max(grams.values(), key=len)
        out[f"top_ngram_{n}"] = len(best) * (cum[best[0] + n] - cum[best[0]]) / total if len(best) > 1 else 0.0
    for n in dup_ns:
        seen, covered = set(), np.zeros(len(codes), dtype=bool)
        for i in range(len(codes) - n + 1):
            gram = tuple(codes[i:i + n])
            if gram in seen:
                covered[i:i + n] = True
            seen.add(gram)
        out[f"dup_ngram_{n}"] = lengths[covered].sum() / total
    return out


@pytest.mark.parametrize("seed, alphabet", [(0, "ab"), (1, "abc"), (2, "abcdefgh"), (3, "我们的"), (4, "abcdefghijklmnop")],
                         ids=["binary", "ternary", "eight", "han", "sixteen"])
def test_ngram_stats_match_brute_force(seed, alphabet):
    rng = random.Random(seed)
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(100, 400)))
    codes = np.array([ord(c) for c in text], dtype=np.uint64)
    lengths = np.ones(len(codes), dtype=np.int64)
    got = ngram_stats(codes, lengths, dup_ns=(5, 10, 13))
    assert got == pytest.approx(_brute_force(codes, lengths))


def test_short_docs_skip_ngrams():
    attrs = run_taggers(["repetition_v1"], make_view("你好你好你好", "zh"))
    assert attrs["quality/dup_ngram_5_v1"] == 0.0


def test_fasttext_score_attribute(full):
    _, doc = verdict(full, ZH_CLEAN)
    assert 0.0 <= doc.attributes["quality/fasttext_default_v1"] <= 1.0


@pytest.mark.parametrize("seed", range(4))
def test_ngram_stats_ties_on_words_of_different_lengths(seed):
    # Word units: lengths differ, so which of two equally frequent n-grams is "the top one" changes the
    # value. The rule is the first to occur (as Counter.most_common), whatever the codes' sort order.
    rng = random.Random(seed)
    codes = np.array([rng.randrange(1 << 63) for _ in range(6)], dtype=np.uint64)[
        [rng.randrange(6) for _ in range(rng.randint(100, 300))]]
    lengths_of = {int(c): rng.randint(1, 12) for c in codes}
    lengths = np.array([lengths_of[int(c)] for c in codes], dtype=np.int64)
    got = ngram_stats(codes, lengths, dup_ns=(5, 10, 13))
    assert got == pytest.approx(_brute_force(codes, lengths))
    flipped = ngram_stats(~codes, lengths, dup_ns=(5, 10, 13))  # same sequence, opposite code order
    assert flipped == got


def test_word_features_do_not_depend_on_the_hash_seed():
    # Word codes come from Python's salted `hash`: two worker processes must still agree.
    import subprocess
    import sys

    prog = ("from curation.quality.registry import run_taggers; from curation.quality.view import make_view; "
            "t = ' '.join(['red apple', 'big banana', 'red apple', 'big banana', 'kiwi'] * 12); "
            "print(sorted(run_taggers(['repetition_v1'], make_view(t, 'en')).items()))")
    outs = {subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(s)}).stdout for s in range(6)}
    assert len(outs) == 1, outs
