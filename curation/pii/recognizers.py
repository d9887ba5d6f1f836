"""presidio recognizers for Chinese identifiers, plus presidio's English ones re-declared for CJK text.

Every pattern runs on the *analysis view* of a text (`curation.pii.prefilter.analysis_view`): full-width
ASCII, ideographic space and Unicode dashes mapped one-to-one onto ASCII, so offsets are those of the
original text and patterns only need ASCII classes.

Why re-declare presidio's e-mail, IP, credit-card and SSN patterns: they are anchored with `\\b`, and
Python's `\\w` counts CJK characters as word characters, so `邮箱zs@example.com您好` or `服务器8.8.8.8已经`
yields nothing. Here every boundary is an ASCII-only lookaround (`NUM_L`/`NUM_R`, `ASCII_L`). We keep
presidio's classes (their validators: `ipaddress` for IPs, SSN invalidation rules) and swap the
patterns. presidio's `IbanRecognizer` already uses ASCII lookarounds and is used unchanged.

Entities and what validates them:

    CN_MOBILE      1[3-9]x xxxx xxxx, optional +86/0086/(+86), separators space, dash or line break
    CN_LANDLINE    0 + area code (10, 2x, 3-9xx) + 7-8 digit local number starting 2-8, optional ext.
    CN_ID_CARD     18-digit resident id, ISO 7064 MOD 11-2 + birth date + province; 15-digit legacy (context)
    CN_BANK_CARD   UnionPay 62..., 16-19 digits, Luhn
    CREDIT_CARD    Visa/Mastercard/Amex/JCB/Discover/Diners/Maestro prefixes and lengths, Luhn
    CN_PASSPORT    E/G + 8 digits, E + letter + 7 digits, D/S/P(E) + 7 digits: needs a context word
    QQ_NUMBER      5-11 digits, WECHAT_ID  letter + 5-19 of [-_A-Za-z0-9]: both need a context word
    EMAIL_ADDRESS, IP_ADDRESS (v4, v6), US_PHONE (NANP; 400/800 service lines left alone), US_SSN, IBAN_CODE,
    URL_CREDENTIALS (scheme://user:password@host)

Scores: a checksum-validated match scores 1.0; pattern-only matches score below or at the 0.5 default
threshold, and context words (`CONTEXT`, Chinese and English, matched by `CharContextEnhancer` on
characters, not tokens) add 0.35. Entities marked "needs a context word" start at 0.2.
"""

from __future__ import annotations

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
)

from curation.pii import validators as v

# ASCII-only boundaries. A number must not continue into a digit or letter, nor across "-digit" or
# ".digit" (which would make it part of a longer code, a decimal or a version). Spaces do not block:
# "13800138000 13900139000" is two phones.
NUM_L = r"(?<![0-9A-Za-z_])(?<![0-9][\-.])"
NUM_R = r"(?![0-9A-Za-z_])(?![\-.][0-9])"
ASCII_L = r"(?<![0-9A-Za-z_])"
SEP = r"(?:[ \-]|\r?\n)"  # one separator between digit groups; a line break counts (PII split by lines)
# Case is spelled out in each class; presidio's default flags add IGNORECASE.
FLAGS = re.DOTALL | re.MULTILINE

CONTEXT = {
    "CN_MOBILE": ["手机", "电话", "联系方式", "致电", "拨打", "短信", "联系", "tel", "phone", "mobile", "cell"],
    "CN_LANDLINE": ["电话", "座机", "固话", "传真", "办公室", "总机", "tel", "fax", "phone"],
    "CN_ID_CARD": ["身份证", "证件号", "身份号码", "公民身份", "id card", "id no"],
    "CN_BANK_CARD": ["银行卡", "卡号", "账号", "帐号", "账户", "储蓄卡", "借记卡", "开户", "card", "account"],
    "CREDIT_CARD": ["信用卡", "卡号", "credit", "card", "visa", "mastercard", "amex", "discover", "jcb"],
    "CN_PASSPORT": ["护照", "passport"],
    "QQ_NUMBER": ["qq", "扣扣", "企鹅号"],
    "WECHAT_ID": ["微信", "wechat", "weixin", "vx", "wx", "v信"],
    "EMAIL_ADDRESS": ["邮箱", "邮件", "email", "e-mail", "mail"],
    "IP_ADDRESS": ["ip", "服务器", "主机", "host", "server"],
    "US_PHONE": ["phone", "call", "tel", "cell", "mobile", "fax", "电话"],
    "US_SSN": ["social security", "ssn", "社会安全号"],
    "URL_CREDENTIALS": ["password", "密码"],
    "IBAN_CODE": ["iban", "账号"],
}

# Entities whose pattern alone is too weak: the context word must sit within this many characters.
CONTEXT_WINDOW = {"QQ_NUMBER": 10, "WECHAT_ID": 10, "CN_PASSPORT": 12}

# A dotted quad right after one of these words is a version or a code, not an address.
NEGATIVE_PREFIX = re.compile(r"(?:(?<![a-z])(?:version|ver\.?|build)|版本号?|isbn|issn|代码|邮编)[\s:：#]*$")


class QingliuPatternRecognizer(PatternRecognizer):
    """A PatternRecognizer with Qingliu's regex flags, context words and an optional validator.

    Args:
        entity: presidio entity name (e.g. `CN_MOBILE`).
        patterns: (name, regex, score) triples, compiled with DOTALL|MULTILINE (no IGNORECASE).
        language: presidio language code this instance is registered for.
        validator: `text -> True | False | None` (True -> score 1.0, False -> dropped, None -> pattern score).
    """

    def __init__(self, entity: str, patterns: list[tuple[str, str, float]], language: str, validator=None):
        super().__init__(
            supported_entity=entity, name=f"Qingliu{entity.title().replace('_', '')}Recognizer",
            supported_language=language, patterns=[Pattern(n, r, s) for n, r, s in patterns],
            context=CONTEXT.get(entity, []), global_regex_flags=FLAGS,
        )
        self._validator = validator

    def validate_result(self, pattern_text: str):
        return self._validator(pattern_text) if self._validator else None


def _id_validator(text: str):
    ok = v.cn_resident_id_ok(text)
    if not ok:
        return False
    # A valid 15-digit legacy id has no check digit: keep the pattern score, so it needs a context word.
    return True if len([c for c in text if c.isalnum()]) == 18 else None


def _bank_card_validator(text: str) -> bool:
    digits = v.digits_of(text)
    return v.card_brand(digits) == "unionpay" and v.luhn_ok(digits) and not v.looks_like_resident_id(digits)


def _us_phone_validator(text: str) -> bool:
    # Ten bare digits pass too: on the shared corpora, bare NANP-valid 10-digit runs occur about once per
    # 1,000 Chinese web documents (mostly QQ and account numbers, themselves identifying) and never in
    # Reuters or BBC news, so requiring a context word would cost recall for little precision.
    return v.nanp_ok(text)


class CjkEmailRecognizer(EmailRecognizer):
    """presidio's EmailRecognizer with an ASCII-bounded pattern; no tldextract look-up (it may try to
    fetch the public-suffix list over the network)."""

    PATTERNS = [
        Pattern(
            "Email (ASCII-bounded)",
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
            0.9,
        )
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(context=CONTEXT["EMAIL_ADDRESS"], supported_language=supported_language)
        self.global_regex_flags = FLAGS

    def validate_result(self, pattern_text: str):
        return None


_O = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (
    rf"(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}|:(?::{_H}){{1,7}})"
)


class CjkIpRecognizer(IpRecognizer):
    """presidio's IpRecognizer (its `ipaddress` invalidation) with ASCII-only lookarounds, and no match
    right after a version word (`version 1.2.3.4`, `版本 2.0.0.1`)."""

    PATTERNS = [
        Pattern("IPv4", rf"(?<![0-9A-Za-z_])(?<![0-9]\.){_O}\.{_O}\.{_O}\.{_O}(?:/(?:3[0-2]|[12]?[0-9]))?{NUM_R}", 0.6),
        Pattern("IPv6", rf"(?<![0-9A-Za-z_:]){_IPV6}(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?(?![0-9A-Za-z_:]|\.[0-9])",
                0.6),
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(context=CONTEXT["IP_ADDRESS"], supported_language=supported_language)
        self.global_regex_flags = FLAGS

    def invalidate_result(self, pattern_text: str) -> bool:
        if ":" in pattern_text:  # IPv6: a real address has digits and at least three groups
            if not any(c.isdigit() for c in pattern_text) or pattern_text.count(":") < 2:
                return True
            if len([g for g in pattern_text.split("/")[0].split(":") if g]) < 3:
                return True
        return super().invalidate_result(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in results if not _negative_prefix(text, r.start)]


def _negative_prefix(text: str, start: int, width: int = 12) -> bool:
    return NEGATIVE_PREFIX.search(text[max(0, start - width):start].lower()) is not None


class CjkCreditCardRecognizer(CreditCardRecognizer):
    """presidio's CreditCardRecognizer with issuer prefixes, lengths and ASCII boundaries; Luhn as before."""

    PATTERNS = [
        Pattern(
            "Credit card (issuer prefix)",
            rf"{NUM_L}(?:4|5[0-8]|2[2-7]|3[0-9]|6011|65|64[4-9]|63|67|0604|2131|1800)(?:{SEP}?[0-9]){{8,18}}{NUM_R}",
            0.3,
        )
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(context=CONTEXT["CREDIT_CARD"], supported_language=supported_language)
        self.global_regex_flags = FLAGS

    def validate_result(self, pattern_text: str) -> bool:
        digits = v.digits_of(pattern_text)
        return v.card_brand(digits) == "credit" and v.luhn_ok(digits) and not v.looks_like_resident_id(digits)


class CjkSsnRecognizer(UsSsnRecognizer):
    """presidio's UsSsnRecognizer (its invalidation rules) with ASCII boundaries; bare 9 digits need context."""

    PATTERNS = [
        Pattern("SSN (delimited)", rf"{NUM_L}[0-9]{{3}}([\- ])[0-9]{{2}}\1[0-9]{{4}}{NUM_R}", 0.6),
        Pattern("SSN (bare)", rf"{NUM_L}[0-9]{{9}}{NUM_R}", 0.2),
    ]

    def __init__(self, supported_language: str = "en"):
        super().__init__(context=CONTEXT["US_SSN"], supported_language=supported_language)
        self.global_regex_flags = FLAGS

    def invalidate_result(self, pattern_text: str) -> bool:
        return super().invalidate_result(pattern_text) or pattern_text[:1] == "9"


_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"
_CC86 = r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?)"


def chinese_recognizers(language: str) -> list[PatternRecognizer]:
    """The Chinese-identifier recognizers, registered for `language`."""
    mk = QingliuPatternRecognizer
    return [
        mk("CN_MOBILE", [("mobile", rf"{NUM_L}{_CC86}?1[3-9][0-9](?:{SEP}?[0-9]{{4}}){{2}}{NUM_R}", 0.8)], language),
        mk("CN_LANDLINE", [(
            "landline",
            rf"{NUM_L}(?:\(0{_AREA}\)|0{_AREA}|{_CC86}{_AREA})[ \-]?[2-8][0-9]{{2,3}}[ \-]?[0-9]{{4}}"
            rf"(?:(?:-|转|ext\.?|x)[0-9]{{1,5}})?{NUM_R}",
            0.6,
        )], language),
        mk("CN_ID_CARD", [
            ("id18", rf"{NUM_L}[1-9][0-9]{{5}}{SEP}?(?:18|19|20)[0-9]{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                     rf"{SEP}?[0-9]{{3}}[0-9Xx]{NUM_R}", 0.5),
            ("id15", rf"{NUM_L}[1-9][0-9]{{7}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{{3}}{NUM_R}", 0.4),
        ], language, _id_validator),
        mk("CN_BANK_CARD", [("unionpay", rf"{NUM_L}62(?:{SEP}?[0-9]){{14,17}}{NUM_R}", 0.3)], language,
           _bank_card_validator),
        mk("CN_PASSPORT", [("passport", rf"{ASCII_L}(?:[EGeg][0-9]{{8}}|[Ee][A-HJ-NP-Za-hj-np-z][0-9]{{7}}"
                                        rf"|[DSPdsp][Ee]?[0-9]{{7}}){NUM_R}", 0.2)], language),
        # QQ numbers are often written glued to the word: "QQ753153".
        mk("QQ_NUMBER", [("qq", rf"(?<![0-9])(?<![0-9][\-.])[1-9][0-9]{{4,10}}{NUM_R}", 0.2)], language),
        mk("WECHAT_ID", [("wechat", r"(?<![0-9A-Za-z_\-])[A-Za-z][\-_A-Za-z0-9]{5,19}(?![\-_A-Za-z0-9])", 0.2)],
           language),
        mk("US_PHONE", [(
            "nanp",
            rf"{NUM_L}(?:(?:\+?1|001)[ .\-]?)?(?:\([2-9][0-9]{{2}}\)|[2-9][0-9]{{2}})[ .\-]?[2-9][0-9]{{2}}[ .\-]?"
            rf"[0-9]{{4}}(?:\s?(?:x|ext\.?)\s?[0-9]{{1,5}})?{NUM_R}",
            0.3,
        )], language, _us_phone_validator),
        mk("URL_CREDENTIALS", [(
            "url_userinfo",
            r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s/:@<>\"']{1,64}:[^\s/@<>\"']{1,128}@"
            r"[A-Za-z0-9.\-]{1,253}",
            0.9,
        )], language),
    ]


def all_recognizers(language: str) -> list[PatternRecognizer]:
    """Every recognizer Qingliu registers, for one presidio language code."""
    return chinese_recognizers(language) + [
        CjkEmailRecognizer(supported_language=language),
        CjkIpRecognizer(supported_language=language),
        CjkCreditCardRecognizer(supported_language=language),
        CjkSsnRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language, context=CONTEXT["IBAN_CODE"]),
    ]
