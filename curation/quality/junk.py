"""Junk generators: turn clean seed text into the kinds of low-quality text the rules must reject.

Used three ways: negatives for the shipped fastText model (seeded by the demo corpus), the junk half of
bench/quality_bench.py (seeded by real text from ../shared/corpora, so the model never saw it), and tests.
Kinds: boilerplate (navigation menus), spam (keyword stuffing + ad words), random (random characters),
mojibake (UTF-8 read as Latin-1 / GBK), repeated (one line over and over), numbers (number tables),
html (markup remnants). Every generator is deterministic for a given `random.Random`.
"""

from __future__ import annotations

import random
import re

KINDS = ("boilerplate", "spam", "random", "mojibake", "repeated", "numbers", "html")

_NAV = {
    "zh": ["首页", "新闻中心", "产品展示", "关于我们", "联系我们", "网站地图", "登录", "注册", "下载中心", "加入收藏", "设为首页",
           "在线留言", "客户服务", "人才招聘", "返回顶部", "上一页", "下一页", "更多>>", "当前位置", "友情链接"],
    "en": ["Home", "News", "Products", "About Us", "Contact", "Sitemap", "Log in", "Sign up", "Downloads", "Careers",
           "Privacy Policy", "Terms of Use", "Back to top", "Next", "Previous", "More", "Help", "FAQ", "Blog", "Shop"],
}
_ADS = {
    "zh": ["加微信领红包", "免费领取", "点击进入官网", "限时抢购", "全网最低价", "日赚千元", "注册即送彩金", "代开发票", "百家乐真人在线",
           "低息贷款秒到账", "刷单兼职日结", "特价清仓"],
    "en": ["BUY NOW", "click here", "free shipping", "limited time offer", "best price", "online casino bonus",
           "work from home", "earn money fast", "cheap viagra", "100% free", "sign up now", "discount code"],
}
_HAN_RANGE = (0x4E00, 0x9FFF)


def _lines(seed: str) -> list[str]:
    return [ln.strip() for ln in seed.split("\n") if ln.strip()] or [seed.strip() or "text"]


def _words(seed: str, lang: str, rng: random.Random, k: int) -> list[str]:
    if lang == "en":
        pool = re.findall(r"[A-Za-z]{3,}", seed) or ["word"]
        return [rng.choice(pool) for _ in range(k)]
    han = re.sub(r"[^\u4e00-\u9fff]", "", seed) or "关键词"
    out = []
    for _ in range(k):
        i = rng.randrange(max(1, len(han) - 3))
        out.append(han[i:i + rng.randint(2, 4)])
    return out


def boilerplate(seed: str, lang: str, rng: random.Random) -> str:
    nav = _NAV["en" if lang == "en" else "zh"]
    rows = [" | ".join(rng.sample(nav, rng.randint(5, 10))) for _ in range(rng.randint(3, 8))]
    rows.insert(rng.randint(0, len(rows)), _lines(seed)[0][:30])
    rows.append("Copyright © 2024 All rights reserved" if lang == "en" else "版权所有 © 2024 保留所有权利")
    return "\n".join(rows)


def spam(seed: str, lang: str, rng: random.Random) -> str:
    ads = _ADS["en" if lang == "en" else "zh"]
    words = _words(seed, lang, rng, 12)
    sep = [" ", "★", "~~", "!!!", "，", " | "]
    parts = [rng.choice(words + ads) for _ in range(rng.randint(30, 60))]
    return "".join(p + rng.choice(sep) for p in parts)


def random_chars(seed: str, lang: str, rng: random.Random) -> str:
    n = rng.randint(80, 400)
    if lang == "en":
        return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 12)))
                        for _ in range(n // 6))
    return "".join(chr(rng.randint(*_HAN_RANGE)) if rng.random() < 0.8 else rng.choice("，。！？、abc123")
                   for _ in range(n))


def mojibake(seed: str, lang: str, rng: random.Random) -> str:
    raw = seed.encode("utf-8")
    if lang == "en":  # English ASCII survives Latin-1, so mojibake it through a double encode of curly quotes
        text = seed.replace(" ", " \u201c", 1).replace(".", ".\u2019")
        return text.encode("utf-8").decode("cp1252", errors="replace") + " â€™ Ã© â€œ" * rng.randint(5, 10)
    return raw.decode(rng.choice(["latin-1", "gbk"]), errors="replace")


def repeated(seed: str, lang: str, rng: random.Random) -> str:
    line = rng.choice(_lines(seed))[:80]
    return "\n".join([line] * rng.randint(8, 30))


def numbers(seed: str, lang: str, rng: random.Random) -> str:
    head = "Date | Open | High | Low | Close | Volume" if lang == "en" else "日期 | 开盘 | 最高 | 最低 | 收盘 | 成交量"
    rows = [head]
    for _ in range(rng.randint(8, 30)):
        rows.append(f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} | " +
                    " | ".join(f"{rng.uniform(1, 100):.2f}" for _ in range(4)) + f" | {rng.randint(1000, 999999)}")
    return "\n".join(rows)


def html(seed: str, lang: str, rng: random.Random) -> str:
    tags = ['<div class="nav">', "</div>", "<br/>", '<a href="/index.html">', "</a>", "&nbsp;&nbsp;",
            '<span style="color:#333">', "</span>", "<script>var _hmt = _hmt || [];</script>", "<li>", "</li>"]
    words = _words(seed, lang, rng, 10)
    return "".join(rng.choice(tags) + (rng.choice(words) if rng.random() < 0.3 else "") for _ in range(rng.randint(30, 80)))


GENERATORS = {"boilerplate": boilerplate, "spam": spam, "random": random_chars, "mojibake": mojibake,
              "repeated": repeated, "numbers": numbers, "html": html}


def make_junk(seed: str, lang: str, kind: str, rng: random.Random) -> str:
    """One junk document of `kind` made from clean `seed` text in `lang` (zh | bilingual | en)."""
    if lang == "bilingual" and kind in ("spam", "random", "html"):
        lang = rng.choice(["zh", "en"])
    return GENERATORS[kind](seed, lang, rng)
