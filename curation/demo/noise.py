"""Low-quality documents and near-duplicate edits for the demo corpus.

`LOW_QUALITY[name](rng, sample_text, lang)` makes one low-quality document of that type (`sample_text`
is a clean zh document it may garble, e.g. for mojibake; `lang` is zh or en). `EDITS[name](rng, text, lang)` turns a clean
document into a near duplicate; every edit keeps the character 5-gram Jaccard of the matching view
(`normalize_text`) well above 0.7, which the tests check.
"""

from __future__ import annotations

import random
import re

from curation.demo.slots import CITIES, CO_PREFIX, CO_SUFFIX, PRODUCTS, fill

_SENT = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[ \t]*\n?|\n|$)|[^\n]+")
# An English sentence ends at . ! ? followed by whitespace or the end ("3.5" and "e.g" stay inside).
_EN_SENT = re.compile(r"(?:[^.!?\n]|[.!?](?!\s|$))+[.!?]*[ \t]*\n?|\n")


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences with their end punctuation and trailing whitespace; joining them gives `text` back.

    zh splits at 。！？ and newlines, en at . ! ? before whitespace, bilingual at both. Text that does not
    round-trip (a stray leading ".") comes back as one sentence.
    """
    zh = [p for p in _SENT.findall(text) if p] if lang != "en" else [text]
    parts = zh if lang == "zh" else [q for p in zh for q in (_EN_SENT.findall(p) or [p]) if q]
    return parts if "".join(parts) == text else [text]


# ---- near-duplicate edits ---------------------------------------------------------------------------

HEADERS = ["本文转载自网络，如有侵权请联系删除。\n", "【转载】\n", "来源：{city}晚报\n", "原标题已修改，内容仅供参考。\n",
           "点击上方蓝字关注我们\n"]
FOOTERS = ["\n（完）", "\n责任编辑：{mr}", "\n更多精彩内容，请关注我们的公众号。", "\n声明：本文观点仅代表作者本人。",
           "\n（本文来源于网络）"]
EN_HEADERS = ["Reposted from the weekly newsletter.\n", "[Archived copy]\n", "Originally published online.\n"]
EN_FOOTERS = ["\nAll rights reserved.", "\nShare this story with your friends.", "\nFiled under: Local News"]

_TO_HALF = str.maketrans("，：；！？（）", ",:;!?()")
_TO_FULL = str.maketrans(",.:;!?()", "，．：；！？（）")
_DIGITS_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_TYPO_ZH = {"的": "地", "在": "再", "做": "作", "已": "以", "他": "她", "那": "哪", "得": "的", "到": "道", "是": "事"}


def edit_header_footer(rng: random.Random, text: str, lang: str) -> str:
    heads, foots = (EN_HEADERS, EN_FOOTERS) if lang == "en" else (HEADERS, FOOTERS)
    return fill(rng.choice(heads), rng) + text + fill(rng.choice(foots), rng)


def _small_sentence(rng: random.Random, sents: list[str], text: str) -> int | None:
    """Index of a random sentence (not the first) short enough that editing it keeps the doc similar."""
    cands = [i for i, s in enumerate(sents) if i > 0 and s.strip() and len(s) <= 0.15 * len(text)]
    return rng.choice(cands) if cands else None


def edit_sentence_deleted(rng: random.Random, text: str, lang: str) -> str:
    sents = split_sentences(text, lang)
    i = _small_sentence(rng, sents, text)
    if i is None:
        return edit_truncated(rng, text, lang)
    tail = "\n" if sents[i].endswith("\n") else ""
    sents[i] = tail
    return "".join(sents)


def edit_sentence_replaced(rng: random.Random, text: str, lang: str) -> str:
    sents = split_sentences(text, lang)
    i = _small_sentence(rng, sents, text)
    if i is None:
        return edit_header_footer(rng, text, lang)
    en = lang == "en" or not any("\u4e00" <= c <= "\u9fff" for c in sents[i])
    new = rng.choice(["This part was updated by the editor. ", "Details may change without notice. "] if en else
                     ["以上内容已根据最新情况更新。", "具体情况以官方公布为准。", "此处内容有删改。"])
    sents[i] = new + ("\n" if sents[i].endswith("\n") else "")
    return "".join(sents)


def edit_punct_swapped(rng: random.Random, text: str, lang: str) -> str:
    """Full-width <-> half-width punctuation and digits (NFKC undoes all of it in the matching view)."""
    if lang == "en":
        return text.translate(_TO_FULL)
    out = text.translate(_TO_HALF).translate(_DIGITS_FULL)
    return out if out != text else text.translate(_TO_FULL)


def edit_whitespace(rng: random.Random, text: str, lang: str) -> str:
    """Indented paragraphs, blank lines, doubled spaces, a few stray spaces after punctuation."""
    out = []
    for ch in text:
        if ch == " ":
            out.append(rng.choice([" ", " ", "  ", "\t"]))
            continue
        out.append(ch)
        if ch in "。，" and rng.random() < 0.05:
            out.append(" ")
    indent = rng.choice(["\u3000\u3000", "    ", "\t"])
    return indent + "".join(out).replace("\n", "\n\n" + indent) + rng.choice(["\n \n", "  ", "\n\n\n"])


def edit_typos(rng: random.Random, text: str, lang: str) -> str:
    chars = list(text)
    positions = [i for i, c in enumerate(chars) if (c in _TYPO_ZH if lang != "en" else c.isalpha())]
    for i in rng.sample(positions, min(len(positions), rng.randint(2, 4))):
        chars[i] = _TYPO_ZH[chars[i]] if lang != "en" else rng.choice("aeiourstn")
    return "".join(chars)


def edit_truncated(rng: random.Random, text: str, lang: str) -> str:
    return text[: int(len(text) * rng.uniform(0.82, 0.88))]


EDITS = {
    "header_footer": edit_header_footer, "sentence_deleted": edit_sentence_deleted,
    "sentence_replaced": edit_sentence_replaced, "punct_swapped": edit_punct_swapped,
    "whitespace": edit_whitespace, "typos": edit_typos, "truncated": edit_truncated,
}


# ---- low-quality documents --------------------------------------------------------------------------

SPAM_ZH = ["澳门首家线上娱乐城", "注册即送88元彩金", "日赚千元不是梦", "百家乐真人在线", "点击进入官网", "稳赚不赔",
           "免费领取", "特价清仓", "全网最低价", "加微信领红包", "代开发票", "低息贷款秒到账", "刷单兼职日结",
           "限时抢购", "买一送三", "最新彩票预测", "信誉第一", "火爆招商中"]
NAV_ZH = ["首页", "新闻中心", "产品展示", "关于我们", "联系我们", "在线留言", "网站地图", "下载中心", "人才招聘",
          "客户服务", "登录", "注册", "返回顶部", "上一篇", "下一篇", "设为首页", "加入收藏"]
HTML_BITS = ['<div class="nav">', "</div>", '<a href="/index.html">', "</a>", "&nbsp;&nbsp;", "<br/>",
             "<script>var _hmt = _hmt || [];</script>", '<span style="color:#333">', "</span>", "&gt;&gt;",
             "<!-- ad start -->", "<li>", "</li>", "&amp;", '<img src="/images/banner.jpg">']
SHORT = ["顶", "沙发", "谢谢分享", "好的", "收到", "已阅", "666", "mark一下", "同意楼上", "路过"]
SHORT_EN = ["ok", "thanks!", "+1", "bump", "lol", "Click here", "Read more", "N/A", "First!"]
NAV_EN = ["Home", "About Us", "Products", "News", "Contact", "Login", "Sign up", "Privacy Policy", "Terms of Use",
          "Sitemap", "Careers", "Back to top", "Next", "Previous"]


def lq_spam(rng: random.Random, sample: str, lang: str = "zh") -> str:
    words = [rng.choice(SPAM_ZH) for _ in range(rng.randint(12, 40))]
    seps = ["！！！", " ", "，", "★", "【{}】".format(rng.choice(SPAM_ZH)), "~~", "\n"]
    site = f"www.{rng.choice(['888', 'vip', 'bet', 'win', 'amcp'])}{rng.randint(10, 999)}.com"
    return "".join(w + rng.choice(seps) for w in words) + f" 网址：{site}"


def lq_boilerplate(rng: random.Random, sample: str, lang: str = "zh") -> str:
    nav = " | ".join(rng.sample(NAV_ZH, rng.randint(6, 12)))
    corp = rng.choice(CO_PREFIX) + rng.choice(CO_SUFFIX)
    foot = f"版权所有 © {rng.randint(2008, 2025)} {corp} 保留所有权利\n{rng.choice(['京', '沪', '粤', '浙'])}ICP备{rng.randint(10000000, 99999999)}号"
    return "\n".join([nav, " > ".join(["首页", rng.choice(NAV_ZH), "正文"]), "当前位置：首页", nav, foot])


def lq_gibberish(rng: random.Random, sample: str, lang: str = "zh") -> str:
    pools = ["".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000, 7)), "abcdefghijklmnopqrstuvwxyz0123456789",
             "@#$%^&*~|\\/<>[]{}+=_", "ぁあぃいぅうぇえぉおかがきぎ"]
    mix = [1, 1, 1, 2, 1, 0] if lang == "en" else [0, 0, 1, 1, 2, 3]
    n = rng.randint(80, 400)
    chars = [rng.choice(pools[rng.choice(mix)]) for _ in range(n)]
    if lang == "en":  # word-like runs: "xk3vq zt9 ..."
        chars = [c + " " if rng.random() < 0.15 else c for c in chars]
    return "".join(chars)


def lq_mojibake(rng: random.Random, sample: str, lang: str = "zh") -> str:
    raw = sample[:600].encode("utf-8")
    return raw.decode(rng.choice(["latin-1", "cp1252", "gbk"]), errors="replace")


def lq_repeated_lines(rng: random.Random, sample: str, lang: str = "zh") -> str:
    line = rng.choice([f"{rng.choice(PRODUCTS)}特价促销，欢迎选购！", "点击查看更多精彩内容", "本帖最后由管理员编辑",
                       "该内容已被删除", "Loading...", "暂无评论，快来抢沙发吧"])
    return "\n".join([line] * rng.randint(10, 40))


def lq_number_table(rng: random.Random, sample: str, lang: str = "zh") -> str:
    head = ["Date", "Open", "High", "Low", "Close", "Volume"] if lang == "en" else ["日期", "开盘", "最高", "最低", "收盘", "成交量"]
    rows = [" | ".join(head)]
    for i in range(rng.randint(15, 40)):
        vals = [f"{rng.uniform(5, 80):.2f}" for _ in range(4)]
        rows.append(" | ".join([f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", *vals, str(rng.randint(1000, 999999))]))
    return "\n".join(rows)


def lq_html(rng: random.Random, sample: str, lang: str = "zh") -> str:
    bits = [rng.choice(HTML_BITS) for _ in range(rng.randint(20, 60))]
    words = NAV_EN if lang == "en" else NAV_ZH + [rng.choice(CITIES) + "新闻网"]
    for _ in range(rng.randint(2, 5)):
        bits.insert(rng.randrange(len(bits)), rng.choice(words))
    return "".join(bits)


def lq_too_short(rng: random.Random, sample: str, lang: str = "zh") -> str:
    return rng.choice(SHORT_EN if lang == "en" else SHORT)


def lq_empty(rng: random.Random, sample: str, lang: str = "zh") -> str:
    return rng.choice(["", " ", "\n", "\t \n", "\u3000\u3000"])


LOW_QUALITY = {
    "spam": lq_spam, "boilerplate": lq_boilerplate, "gibberish": lq_gibberish, "mojibake": lq_mojibake,
    "repeated_lines": lq_repeated_lines, "number_table": lq_number_table, "html": lq_html,
    "too_short": lq_too_short, "empty": lq_empty,
}
# Relative frequency of each type among low-quality documents (corpus.py adds a few "empty" ones).
LOW_QUALITY_WEIGHTS = {"spam": 6, "boilerplate": 4, "gibberish": 3, "mojibake": 3, "repeated_lines": 4,
                       "number_table": 2, "html": 3, "too_short": 3, "empty": 0}
