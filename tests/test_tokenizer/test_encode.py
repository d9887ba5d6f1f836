"""Encode: the uint16 shard contract read by model_ref (docs/tokenizer.md "Token shard format")."""

from __future__ import annotations

import filecmp
import json
import os

import numpy as np
import pytest

from curation.schema import Document
from tests.test_tokenizer.conftest import make_docs, write_mix
from tokenizer_training.corpus import Corpus
from tokenizer_training.encode import LANG_CODES, encode_corpus, load_split
from tokenizer_training.export import load_tokenizer


@pytest.fixture(scope="module")
def shards(trained, mix_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tokens"))
    from tokenizer_training.cli import main

    assert main(["encode", "--tokenizer", trained, "--input", mix_dir, "--output", out]) == 0
    return out


def test_meta_contract(shards, trained):
    meta = json.load(open(os.path.join(shards, "meta.json"), encoding="utf-8"))
    assert meta["format"] == "qingliu-token-shards-v1"
    assert (meta["dtype"], meta["byteorder"], meta["vocab_size"], meta["eos_id"]) == ("uint16", "little", 2048, 0)
    assert meta["index_columns"] == ["offset", "length", "lang"]
    assert meta["lang_codes"] == {"zh": 0, "bilingual": 1, "en": 2, "other": 3}
    assert set(meta["splits"]) == {"train", "val_zh", "val_bilingual", "val_en"}
    assert sum(s["docs"] for s in meta["splits"].values()) == 1500
    assert meta["val_rule"]["frac"] == 0.05 and meta["val_rule"]["seed"] == 0  # the tokenizer's held-out split
    for name, s in meta["splits"].items():
        assert os.path.getsize(os.path.join(shards, s["file"])) == 2 * s["tokens"], name
        assert s["chars"] > 0 and s["docs"] > 0


def test_every_document_decodes_back(shards, trained, mix_dir):
    tok = load_tokenizer(trained)
    corpus = Corpus([mix_dir], seed=0, holdout_frac=0.05)
    by_split: dict[str, list] = {}
    for rec in corpus.records():
        by_split.setdefault(f"val_{rec.lang}" if corpus.is_heldout(rec) else "train", []).append(rec)
    for name, recs in by_split.items():
        tokens, index, meta = load_split(shards, name)
        assert tokens.dtype == np.dtype("<u2") and index.dtype == np.int64 and index.shape == (len(recs), 3)
        for (off, length, lang), rec in zip(index.tolist(), recs):
            assert tokens[off + length] == meta["eos_id"]
            assert tok.decode(tokens[off : off + length].tolist()) == rec.text
            assert lang == LANG_CODES[rec.lang]
        assert index[-1, 0] + index[-1, 1] + 1 == len(tokens)  # nothing after the last EOS
        assert int(tokens.max()) < meta["vocab_size"]
        if name.startswith("val_"):
            assert set(index[:, 2].tolist()) == {LANG_CODES[name[4:]]}


def test_deterministic_across_batch_sizes(shards, trained, mix_dir, tmp_path):
    encode_corpus(trained, [mix_dir], str(tmp_path), batch_docs=7, progress=False)
    for name in ("train.bin", "train.idx.npy", "val_zh.bin", "val_en.idx.npy"):
        assert filecmp.cmp(os.path.join(shards, name), str(tmp_path / name), shallow=False), name


def test_empty_docs_counted_not_written(trained, tmp_path):
    docs = make_docs(10) + [Document(id="empty", text="", lang="zh", source="t")]
    data = write_mix(str(tmp_path / "mix"), docs, shards=1)
    meta = encode_corpus(trained, [data], str(tmp_path / "out"), val_frac=0.0, progress=False)
    assert meta["stats"]["empty_docs_skipped"] == 1
    assert meta["splits"]["train"]["docs"] == 10
    assert set(meta["splits"]) == {"train"}  # no held-out documents: no val files at all
    assert sorted(os.listdir(tmp_path / "out")) == ["meta.json", "train.bin", "train.idx.npy"]


def test_model_ref_reader_accepts_shards(shards):
    data = pytest.importorskip("model_ref.data")
    td = data.TokenData(shards)
    assert set(td.splits) == {"train", "val_zh", "val_bilingual", "val_en"}
    assert td.eos_id == 0 and td.vocab_size == 2048


def test_special_token_text_inside_a_document_is_not_a_control_id(trained, tmp_path):
    """A document quoting "<|endoftext|>" or "<|user|>" keeps them as characters: EOS appears exactly once
    per document (the separator), and no role token appears at all."""
    from tokenizer_training.export import load_tokenizer, special_ids

    text = "文档里写着 <|endoftext|> 和 <|user|> 这两个标记，它们只是文字。"
    docs = [Document(id=f"s{i}", text=text, lang="zh", source="t") for i in range(3)]
    data = write_mix(str(tmp_path / "mix"), docs, shards=1)
    meta = encode_corpus(trained, [data], str(tmp_path / "out"), val_frac=0.0, progress=False)
    tokens, _, _ = load_split(str(tmp_path / "out"), "train")
    ids = special_ids(load_tokenizer(trained))
    assert meta["splits"]["train"]["docs"] == 3
    assert int((tokens == ids["<|endoftext|>"]).sum()) == 3
    assert not np.isin(tokens, [v for k, v in ids.items() if k != "<|endoftext|>"]).any()
    tok = load_tokenizer(trained)
    one = tokens[: int(np.flatnonzero(tokens == ids["<|endoftext|>"])[0])]
    assert tok.decode(one.tolist(), skip_special_tokens=False) == text
