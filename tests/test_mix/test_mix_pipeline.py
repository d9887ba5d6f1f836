"""End-to-end `pipelines.mix.run`: shares, upsampling, accounting, determinism, recipes, errors."""

from __future__ import annotations

import filecmp
import json
import os
import random

import pytest

from curation import cli
from curation.errors import ConfigError
from curation.testing import read_stage_output, write_jsonl
from pipelines import mix as mix_stage

ZH = "今天的新闻报道了城市交通的变化，市民普遍认为出行更加方便了。"
EN = "The city council approved a new plan for public transport and cycling lanes. "
BI = "The museum opens at nine.\n博物馆九点开门。"
SHARES = ["--zh", "0.7", "--bilingual", "0.2", "--en", "0.1"]


def make_input(path, n=240, seed=0) -> str:
    """Docs carrying `lang` (as a stage output's do), of varied length, two sources per language, plus
    one `other` doc and one doc without `lang` (both must be rejected with their reason)."""
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        lang = rng.choice(["zh", "zh", "zh", "bilingual", "en"])
        base = {"zh": ZH, "en": EN, "bilingual": BI}[lang]
        recs.append({"id": f"{lang}-{i:04d}", "text": base * rng.randint(1, 12), "lang": lang,
                     "source": rng.choice(["news", "web"])})
    recs.append({"id": "other-0", "text": "Bonjour tout le monde", "lang": "other", "source": "web"})
    recs.append({"id": "nolang-0", "text": "no language routed yet", "source": "web"})
    return write_jsonl(str(path), recs)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    src = make_input(root / "in" / "docs.jsonl")
    out = str(root / "out")
    stats = mix_stage.run(["--input", src, "--output", out, *SHARES, "--shard-size-mb", "0.02"])
    return {"root": root, "input": src, "out": out, "stats": stats, "result": read_stage_output(out),
            "report": json.load(open(os.path.join(out, "mix_report.json"), encoding="utf-8"))}


def shares_of(docs, measure="tokens"):
    size = {"tokens": lambda d: d.attributes["mix/tokens_v1"], "chars": lambda d: len(d.text), "docs": lambda d: 1}
    totals: dict = {}
    for d in docs:
        totals[d.lang] = totals.get(d.lang, 0) + size[measure](d)
    return {k: v / sum(totals.values()) for k, v in totals.items()}


def test_token_shares_within_half_a_point_and_report_agrees(mixed):
    res, report = mixed["result"], mixed["report"]
    assert res["complete"] and res["stats"]["accounting"]["ok"]
    got = shares_of(res["kept"])
    for lang, want in {"zh": 0.7, "bilingual": 0.2, "en": 0.1}.items():
        assert abs(got[lang] - want) < 0.005, (lang, got)
        assert report["langs"][lang]["achieved_share"]["tokens"] == pytest.approx(got[lang])
        assert report["langs"][lang]["requested_share"] == pytest.approx(want)
    assert report["max_share_error_pp"] < 0.5
    assert set(report["sources"]) == {f"{lang}/{s}" for lang in ("zh", "bilingual", "en") for s in ("news", "web")}
    assert report["token_counter"] == "estimate:script_v1"


def test_every_input_is_kept_or_rejected_with_a_reason(mixed):
    res = mixed["result"]
    reasons = {d.id: d.reason for d in res["rejected"]}
    assert reasons.pop("other-0") == "lang_not_in_mix"
    assert reasons.pop("nolang-0") == "no_lang"
    assert set(reasons.values()) == {"not_sampled"}
    assert {d.stage for d in res["rejected"]} == {"mix"}
    kept_ids = {d.id for d in res["kept"]}
    assert len(kept_ids) + len(res["rejected"]) == res["stats"]["input_records"] == 242
    assert res["stats"]["stage_stats"]["extra_copies"] == 0  # no upsampling by default (max_epochs 1)


def test_shards_are_shuffled_not_sorted_by_id(mixed):
    from curation.testing import read_parquet_dir

    shards = sorted(os.listdir(os.path.join(mixed["out"], "data")))
    assert len(shards) > 1
    docs = read_parquet_dir(os.path.join(mixed["out"], "data"))
    assert [d.id for d in docs] != sorted(d.id for d in docs)


def test_same_seed_any_worker_count_gives_identical_bytes_and_another_seed_differs(mixed, tmp_path):
    args = ["--input", mixed["input"], *SHARES, "--shard-size-mb", "0.02"]
    mix_stage.run([*args, "--output", str(tmp_path / "w2"), "--direct_num_workers", "2",
                   "--direct_running_mode", "multi_processing"])
    for sub in ("data", "rejected"):
        names = sorted(os.listdir(os.path.join(mixed["out"], sub)))
        assert names == sorted(os.listdir(tmp_path / "w2" / sub))
        match, mismatch, errors = filecmp.cmpfiles(os.path.join(mixed["out"], sub), tmp_path / "w2" / sub, names,
                                                   shallow=False)
        assert not mismatch and not errors
    mix_stage.run([*args, "--output", str(tmp_path / "s1"), "--seed", "1"])
    other = read_stage_output(str(tmp_path / "s1"))
    ids0, ids1 = {d.id for d in mixed["result"]["kept"]}, {d.id for d in other["kept"]}
    assert ids0 != ids1 and ids0 & ids1
    assert all(abs(shares_of(other["kept"])[k] - v) < 0.005 for k, v in {"zh": 0.7, "bilingual": 0.2, "en": 0.1}.items())


def test_upsampling_makes_distinct_copies_within_the_cap(mixed, tmp_path):
    available = sum(e["available"]["tokens"] for e in mixed["report"]["langs"].values())
    out = str(tmp_path / "up")
    stats = mix_stage.run(["--input", mixed["input"], "--output", out, *SHARES, "--max-epochs", "4",
                           "--total-tokens", str(2 * available)])
    res = read_stage_output(out)
    report = json.load(open(os.path.join(out, "mix_report.json"), encoding="utf-8"))
    copies = [d for d in res["kept"] if "#e" in d.id]
    assert copies and stats["stage_stats"]["extra_copies"] == len(copies)
    assert stats["accounting"]["ok"] and res["complete"]
    assert {d.attributes["mix/copy_v1"] for d in copies} <= {1.0, 2.0, 3.0}
    assert len({d.id for d in res["kept"]}) == len(res["kept"])
    assert all(e["epochs_used"] <= 4 + 1e-9 for e in report["sources"].values())
    assert any("runs out: repeated to" in w for w in report["warnings"])
    assert abs(report["achieved_total"]["tokens"] / (2 * available) - 1) < 0.005
    assert all(abs(shares_of(res["kept"])[k] - v) < 0.005 for k, v in {"zh": 0.7, "bilingual": 0.2, "en": 0.1}.items())


def test_request_beyond_the_cap_fails_with_no_success_marker(mixed, tmp_path):
    out = str(tmp_path / "over")
    with pytest.raises(ConfigError, match=r"cannot mix: --total-tokens .* more than the sources hold under the "
                                          r"epoch cap \(.*needs .* epochs, cap 1"):
        mix_stage.run(["--input", mixed["input"], "--output", out, *SHARES, "--total-tokens", "1e9"])
    assert not os.path.exists(os.path.join(out, "_SUCCESS"))
    assert not os.path.exists(os.path.join(out, "mix_report.json"))
    assert not os.listdir(os.path.join(out, "data"))


def test_cli_exit_codes_for_bad_requests(mixed, tmp_path, capsys):
    base = ["mix", "--input", mixed["input"], "--output", str(tmp_path / "bad")]
    assert cli.main([*base, "--zh", "0.8", "--en", "0.2", "--other", "0"]) == 2
    assert "--other share must be a positive number" in capsys.readouterr().err
    assert cli.main([*base, "--zh", "0.8", "--en", "0.3"]) == 2
    assert "sum to 1.1, not 1" in capsys.readouterr().err
    assert cli.main([*base, *SHARES, "--total-tokens", "1e9"]) == 2  # known only after counting
    assert "curate mix: error: cannot mix: --total-tokens 1,000,000,000 tokens" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "bad" / "_SUCCESS")


def test_language_with_no_documents(mixed, tmp_path):
    src = write_jsonl(str(tmp_path / "zh_only.jsonl"), [{"id": f"z{i}", "text": ZH, "lang": "zh"} for i in range(5)])
    with pytest.raises(ConfigError, match="cannot mix: no documents for language 'en'"):
        mix_stage.run(["--input", src, "--output", str(tmp_path / "o"), "--zh", "0.9", "--en", "0.1"])
    assert not os.path.exists(tmp_path / "o" / "_SUCCESS")


def test_recipe_with_weighted_sources_and_per_language_inputs(tmp_path):
    rng = random.Random(3)
    for lang, base, sources in (("zh", ZH, ("news", "web", "forum")), ("en", EN, ("news", "web"))):
        for src in sources:
            write_jsonl(str(tmp_path / lang / f"{src}.jsonl"),
                        [{"id": f"{lang}-{src}-{i}", "text": base * rng.randint(1, 9), "source": src}
                         for i in range(rng.randint(60, 120))])
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("zh: {share: 0.8, sources: {news: 0.5, web: {weight: 0.5, max_epochs: 3}}}\nen: 0.2\n")
    out = str(tmp_path / "out")
    mix_stage.run(["--input-zh", str(tmp_path / "zh"), "--input-en", str(tmp_path / "en"), "--output", out,
                   "--recipe", str(recipe), "--unit", "chars", "--max-epochs", "2"])
    res = read_stage_output(out)
    report = json.load(open(os.path.join(out, "mix_report.json"), encoding="utf-8"))
    assert res["complete"] and res["stats"]["accounting"]["ok"]
    chars: dict = {}
    for d in res["kept"]:
        chars[(d.lang, d.source)] = chars.get((d.lang, d.source), 0) + len(d.text)
    total = sum(chars.values())
    want = {("zh", "news"): 0.4, ("zh", "web"): 0.4}
    for key, share in want.items():
        assert abs(chars[key] / total - share) < 0.005, (key, chars[key] / total)
    assert abs((chars[("en", "news")] + chars[("en", "web")]) / total - 0.2) < 0.005
    assert ("zh", "forum") not in chars
    assert {d.reason for d in res["rejected"] if d.source == "forum"} == {"source_not_in_recipe"}
    assert report["sources"]["zh/web"]["max_epochs"] == 3 and report["unit"] == "chars"


def test_tokenizer_dir_counts_real_tokens(mixed, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([ZH, EN, BI] * 10, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"]))
    (tmp_path / "tok").mkdir()
    tok.save(str(tmp_path / "tok" / "tokenizer.json"))
    out = str(tmp_path / "out")
    mix_stage.run(["--input", mixed["input"], "--output", out, *SHARES, "--tokenizer", str(tmp_path / "tok")])
    res = read_stage_output(out)
    for d in res["kept"][:20]:
        assert d.attributes["mix/tokens_v1"] == len(tok.encode(d.text, add_special_tokens=False).ids)
    assert all(abs(shares_of(res["kept"])[k] - v) < 0.005 for k, v in {"zh": 0.7, "bilingual": 0.2, "en": 0.1}.items())
    with pytest.raises(ConfigError, match="no tokenizer.json there"):
        mix_stage.run(["--input", mixed["input"], "--output", out, *SHARES, "--tokenizer", str(tmp_path)])


def test_demo_corpus_mix(demo_corpus, tmp_path, capsys):
    d = demo_corpus["dir"]
    out = str(tmp_path / "demo_mix")
    mix_stage.run(["--input-zh", os.path.join(d, "zh"), "--input-bilingual", os.path.join(d, "bilingual"),
                   "--input-en", os.path.join(d, "en"), "--output", out, *SHARES])
    printed = capsys.readouterr().out
    assert "req % (tokens)" in printed and "max share error" in printed
    res = read_stage_output(out)
    report = json.load(open(os.path.join(out, "mix_report.json"), encoding="utf-8"))
    assert res["complete"] and res["stats"]["accounting"]["ok"]
    truth = demo_corpus["truth"]["docs"]
    assert all(truth[d.id]["lang"] == d.lang for d in res["kept"])
    got = shares_of(res["kept"])
    assert all(abs(got[k] - v) < 0.005 for k, v in {"zh": 0.7, "bilingual": 0.2, "en": 0.1}.items()), got
    assert report["max_share_error_pp"] < 0.5
