"""Small, deterministic mixed-language inputs for the tokenizer tests (no ../shared files needed).

The text is built from a fixed list of real-looking sentences with a seeded RNG, written like the mix
output (OUT/data/part-*.parquet with the canonical schema), so a 1-2k vocabulary trains in seconds.
"""

from __future__ import annotations

import os
import random

import pyarrow.parquet as pq
import pytest

from curation.schema import Document, to_table

ZH = [
    "今天北京的天气很好，我们一起去公园散步吧。", "人工智能技术正在改变我们的生活和工作方式。",
    "这家餐厅的菜味道不错，服务也很周到，下次还会再来。", "中国科学院的研究人员发表了一篇关于量子计算的论文。",
    "春节期间，很多人回家和家人团聚，一起吃年夜饭。", "上海证券交易所今日收盘，沪指上涨百分之一点二。",
    "孩子们在学校里学习语文、数学和英语等课程。", "这本书讲述了一个关于友情和成长的故事，非常感人。",
    "政府出台了新的政策，支持中小企业的发展。", "快递昨天就到了，包装很好，东西质量也不错。",
    "长江是中国最长的河流，全长约六千三百公里。", "他每天早上七点起床，先跑步半小时，然后吃早饭。",
]
EN = [
    "The weather in Beijing is nice today, so we went for a walk in the park.",
    "Artificial intelligence is changing the way we live and work.",
    "Shares closed higher on Monday as investors welcomed the new policy.",
    "The researchers published a paper on quantum computing in 2023.",
    "Children learn reading, mathematics and science at school.",
    "The package arrived yesterday and the quality is good.",
]
# Word lists for random sentences: many distinct pairs, so a 2,048-entry vocabulary is learnable.
ZH_WORDS = ("我们 你们 他们 今天 明天 昨天 北京 上海 广州 深圳 中国 世界 经济 发展 技术 科学 研究 人员 学生 老师 "
            "学校 医院 公司 市场 政府 政策 企业 产品 服务 质量 价格 问题 方法 时间 地方 朋友 家人 孩子 生活 工作 "
            "学习 喜欢 觉得 知道 认为 希望 需要 开始 结束 发现 提高 支持 参加 影响 重要 主要 一般 非常 特别 已经 "
            "可能 应该 必须 因为 所以 但是 如果 虽然 而且 或者 天气 春天 夏天 秋天 冬天 电影 音乐 新闻 报告 会议 "
            "文化 历史 社会 国家 城市 农村 环境 保护 健康 安全 教育 交通 电脑 手机 网络 数据 系统 模型 语言 文字").split()
EN_WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but have "
            "an they you were her she there been one all we their has would when if so no will more about up out "
            "market shares company said year government policy people school data model language system city").split()


def make_docs(n: int = 1500, seed: int = 0) -> list[Document]:
    """`n` documents: 60 % zh, 20 % bilingual, 20 % en, each 2-6 sentences, with numbers sprinkled in."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        r = rng.random()
        lang = "zh" if r < 0.6 else "bilingual" if r < 0.8 else "en"
        k = rng.randint(2, 6)
        zh = [rng.choice(ZH) if rng.random() < 0.3 else "".join(rng.choices(ZH_WORDS, k=rng.randint(3, 9))) + "。"
              for _ in range(k)]
        en = [rng.choice(EN) if rng.random() < 0.3 else " ".join(rng.choices(EN_WORDS, k=rng.randint(4, 12))) + "."
              for _ in range(k)]
        parts = zh if lang == "zh" else en if lang == "en" else [s for pair in zip(en, zh) for s in pair]
        parts.append(f"编号{rng.randint(0, 99999)}" if lang != "en" else f"No. {rng.randint(0, 99999)}")
        sep = "" if lang == "zh" else "\n"
        docs.append(Document(id=f"doc{i:05d}", text=sep.join(parts), lang=lang, source="test",
                             source_file="test", row=i))
    return docs


def write_mix(out_dir: str, docs: list[Document], shards: int = 2) -> str:
    """Write docs as OUT/data/part-*.parquet (the mix stage's layout). Returns OUT/data."""
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)
    per = (len(docs) + shards - 1) // shards
    for s in range(shards):
        pq.write_table(to_table(docs[s * per : (s + 1) * per]), os.path.join(data, f"part-{s:05d}.parquet"))
    return data


@pytest.fixture(scope="session")
def mix_dir(tmp_path_factory) -> str:
    """A small mix output directory (OUT/data)."""
    return write_mix(str(tmp_path_factory.mktemp("mix")), make_docs())


@pytest.fixture(scope="session")
def trained(tmp_path_factory, mix_dir) -> str:
    """A 2,048-entry tokenizer trained once per session through the CLI; returns its directory."""
    from tokenizer_training.cli import main

    out = str(tmp_path_factory.mktemp("tok"))
    assert main(["train", "--input", mix_dir, "--output", out, "--vocab-size", "2048", "--holdout-frac", "0.05"]) == 0
    return out
