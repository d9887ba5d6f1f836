"""fastText quality classifier: the shipped model, training through the CLI, lazy loading."""

from __future__ import annotations

import os
import pickle
import random

import pytest

from curation.quality.fasttext_tagger import DEFAULT_MODEL, FastTextQualityTagger, fasttext_input
from curation.testing import write_jsonl
from curation.train_cli import main

GOOD = ["今天天气很好，我们一起去公园散步，看到很多人在锻炼身体。", "The council approved the budget after a long debate.",
        "他在图书馆里读了一下午的书，感觉收获很大。", "Scientists said the new vaccine was safe and effective."]
BAD = ["加微信领红包★免费领取★点击进入★日赚千元", "首页 | 登录 | 注册 | 网站地图 | 联系我们",
       "buy now click here free shipping best price", "<div><br/>&nbsp;<a href='/'>home</a></div>"]


def test_fasttext_input_splits_han():
    assert fasttext_input("我爱python 编程") == "我 爱 python 编 程"


def test_shipped_model_is_small_and_loads():
    assert os.path.getsize(DEFAULT_MODEL) < 2_000_000
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    assert tagger.score("加微信领红包★免费领取★点击进入官网★日赚千元★代开发票★百家乐真人在线") < 0.5
    assert 0.0 <= tagger.score("今天天气很好。") <= 1.0
    assert tagger.score("") == 0.0


def test_tagger_pickles_path_not_model():
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    tagger.score("你好")
    clone = pickle.loads(pickle.dumps(tagger))
    assert clone._model is None and clone.path == DEFAULT_MODEL


def _variants(texts: list[str], n: int, seed: int) -> list[str]:
    """n distinct texts made by shuffling the words / characters of `texts` (fastText can NaN on tiny inputs)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        units = list(texts[i % len(texts)].split() if " " in texts[i % len(texts)] else texts[i % len(texts)])
        rng.shuffle(units)
        out.append((" " if " " in texts[i % len(texts)] else "").join(units))
    return out


def test_train_quality_cli(tmp_path):
    pos = write_jsonl(str(tmp_path / "pos.jsonl.gz"), [{"text": t} for t in GOOD + _variants(GOOD, 200, 0)])
    neg = tmp_path / "neg.txt"
    neg.write_text("\n".join(BAD + _variants(BAD, 200, 1)), encoding="utf-8")
    out = tmp_path / "m.ftz"
    rc = main(["quality", "--positive", pos, "--negative", str(neg), "--output", str(out),
               "--dim", "16", "--bucket", "2000", "--epoch", "5"])
    assert rc == 0 and out.exists() and out.stat().st_size < 200_000
    tagger = FastTextQualityTagger("mine", str(out))
    assert tagger.attribute == "quality/fasttext_mine_v1"
    assert tagger.score(GOOD[0]) > tagger.score(BAD[0])


def test_train_langid_cli(tmp_path):
    zh = tmp_path / "zh.txt"
    zh.write_text("\n".join(_variants(GOOD[0::2], 200, 2)), encoding="utf-8")
    en = tmp_path / "en.txt"
    en.write_text("\n".join(_variants(GOOD[1::2], 200, 3)), encoding="utf-8")
    out = tmp_path / "lid.ftz"
    assert main(["langid", "--input", f"zh={zh}", "--input", f"en={en}", "--output", str(out),
                 "--bucket", "2000"]) == 0
    from curation.text.langid import LanguageRouter

    router = LanguageRouter(model_path=str(out))
    assert router.predict("The council said the budget was approved.")[0] == "en"


@pytest.mark.parametrize(
    "argv",
    [["quality", "--output", "x.ftz"], ["quality", "--demo", "--positive", "p", "--output", "x.ftz"],
     ["quality", "--positive", "/no/such/file", "--negative", "/no/such", "--output", "x.ftz"],
     ["langid", "--input", "zh", "--output", "x.ftz"]],
    ids=["no-data", "demo-and-files", "missing-file", "bad-label"],
)
def test_train_cli_bad_arguments(argv, capsys):
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err
