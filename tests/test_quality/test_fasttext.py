"""fastText quality classifier: the shipped model, training through the CLI, lazy loading."""

from __future__ import annotations

import os
import pickle
import random

import pytest

from curation.quality.fasttext_tagger import (
    DEFAULT_MODEL,
    FastTextQualityTagger,
    fasttext_input,
    resolve_model_path,
)
from curation.testing import write_jsonl
from curation.train_cli import main

GOOD = ["今天天气很好，我们一起去公园散步，看到很多人在锻炼身体。", "The council approved the budget after a long debate.",
        "他在图书馆里读了一下午的书，感觉收获很大。", "Scientists said the new vaccine was safe and effective."]
BAD = ["加微信领红包★免费领取★点击进入★日赚千元", "首页 | 登录 | 注册 | 网站地图 | 联系我们",
       "buy now click here free shipping best price", "<div><br/>&nbsp;<a href='/'>home</a></div>"]


def test_fasttext_input_splits_han():
    assert fasttext_input("我爱python 编程") == "我 爱 python 编 程"


def test_shipped_model_is_small_and_loads():
    assert os.path.getsize(resolve_model_path(DEFAULT_MODEL)) < 2_000_000
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    assert tagger.score("加微信领红包★免费领取★点击进入官网★日赚千元★代开发票★百家乐真人在线") < 0.5
    assert 0.0 <= tagger.score("今天天气很好。") <= 1.0
    assert tagger.score("") == 0.0


def test_tagger_pickles_path_not_model():
    tagger = FastTextQualityTagger("default", DEFAULT_MODEL)
    tagger.score("你好")
    clone = pickle.loads(pickle.dumps(tagger))
    assert clone._model is None and clone.path == DEFAULT_MODEL


_ZH = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
_EN = ("the of and to in is was for that on with as by at from his an were are which this be has had it not "
       "or have new first after also two their its but been who one other more year they city people said "
       "government world school music group time state team during would about over most where later")
_AD = "加微信 免费领取 点击进入 官网 限时抢购 全网最低价 日赚千元 代开发票 百家乐 彩金 buy now click here free shipping best price casino bonus"


def _corpus(pool: list[str], n: int, seed: int, sep: str) -> list[str]:
    """n random texts drawn from a vocabulary (varied enough that fastText trains stably)."""
    rng = random.Random(seed)
    return [sep.join(rng.choice(pool) for _ in range(rng.randint(15, 40))) for _ in range(n)]


def test_train_quality_cli(tmp_path):
    good = _corpus(list(_ZH), 200, 0, "") + _corpus(_EN.split(), 200, 1, " ")
    pos = write_jsonl(str(tmp_path / "pos.jsonl.gz"), [{"text": t} for t in good])
    neg = tmp_path / "neg.txt"
    neg.write_text("\n".join(_corpus(_AD.split(), 400, 2, " ")), encoding="utf-8")
    out = tmp_path / "m.ftz"
    rc = main(["quality", "--positive", pos, "--negative", str(neg), "--output", str(out),
               "--dim", "16", "--bucket", "2000"])
    assert rc == 0 and out.exists() and out.stat().st_size < 200_000
    tagger = FastTextQualityTagger("mine", str(out))
    assert tagger.attribute == "quality/fasttext_mine_v1"
    held_good = _corpus(_EN.split(), 20, 7, " ")
    held_bad = _corpus(_AD.split(), 20, 8, " ")
    assert sum(map(tagger.score, held_good)) > sum(map(tagger.score, held_bad))


def test_train_langid_cli(tmp_path):
    zh = tmp_path / "zh.txt"
    zh.write_text("\n".join(_corpus(list(_ZH), 300, 3, "")), encoding="utf-8")
    en = tmp_path / "en.txt"
    en.write_text("\n".join(_corpus(_EN.split(), 300, 4, " ")), encoding="utf-8")
    out = tmp_path / "lid.ftz"
    assert main(["langid", "--input", f"zh={zh}", "--input", f"en={en}", "--output", str(out),
                 "--bucket", "2000"]) == 0
    from curation.text.langid import LanguageRouter

    router = LanguageRouter(model_path=str(out))
    assert set(router.model.get_labels()) == {"__label__zh", "__label__en"}
    assert router.predict("the government said that the city school team was new")[0] == "en"


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


def test_training_retries_in_fresh_processes_with_other_layouts(tmp_path, monkeypatch):
    """A failing training child is retried in a new process with another environment size each time; after
    the last attempt the error names the count and the child's last line."""
    from curation.errors import ConfigError
    from curation.quality import train as train_mod

    log = tmp_path / "attempts.txt"
    monkeypatch.setattr(train_mod, "_FIT_SCRIPT", (
        "import os, sys\n"
        f"open({str(log)!r}, 'a').write(str(len(os.environ['QINGLIU_FIT_LAYOUT'])) + '\\n')\n"
        "sys.stdin.read()\n"
        "raise RuntimeError('Encountered NaN.')\n"))
    with pytest.raises(ConfigError, match=r"failed in 6 fresh processes \(last: RuntimeError: Encountered NaN\.\)"):
        train_mod._fit({"input": "x"}, {}, str(tmp_path / "m.ftz"))
    sizes = [int(x) for x in log.read_text().split()]
    assert len(sizes) == 6 and len(set(sizes)) == 6
