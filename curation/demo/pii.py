"""Planted personal information and its hard negatives, with exact character offsets.

Every value is synthetic: resident ID numbers carry a valid ISO 7064 MOD 11-2 check character and a
real calendar date; bank and credit card numbers pass Luhn. Hard negatives are strings a naive regex
would flag (order numbers, 18-digit codes with a wrong check character, hotlines, prices, ISBNs,
version strings); they are generated so that they fail the very checks the real values pass.

Templates mark a value with `<<pii:TYPE>>` or `<<neg:TYPE>>` (braced `{slot}`s are filled first).
`render` returns the sentence and one span `{type, value, start, end}` per marker, offsets relative
to the sentence; the corpus builder shifts them when it joins sentences into a document.
"""

from __future__ import annotations

import datetime
import random
import re

from curation.demo.slots import EN_FIRST, EN_LAST, GIVEN, SURNAMES, fill

# Six-digit administrative division codes (province/city/district) used as ID-card prefixes.
AREA_CODES = ["110101", "110105", "110108", "310104", "310115", "440106", "440305", "330106", "510107",
              "420106", "610113", "320102", "500103", "120101", "370202", "350203", "430104", "530102"]
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID number's first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_card_valid(number: str) -> bool:
    """True for an 18-character resident ID with a valid birth date and check character."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_char(number[:17]) == number[17]


def luhn_valid(number: str) -> bool:
    """Luhn check over the digits of `number` (separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(digits) and total % 10 == 0


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + _digits(rng, length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError("unreachable")


def _id_first17(rng: random.Random) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
    return rng.choice(AREA_CODES) + birth.strftime("%Y%m%d") + _digits(rng, 3)


def _group(number: str, sep: str, size: int = 4) -> str:
    return sep.join(number[i:i + size] for i in range(0, len(number), size))


def gen_phone_cn(rng: random.Random) -> str:
    n = "1" + rng.choice("3456789") + _digits(rng, 9)
    fmt = rng.randrange(7)
    return [n, f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}", f"+86-{n}",
            f"{n[:3]} {n[3:7]} {n[7:]}", n.translate(_FULLWIDTH), f"+86{n}"][fmt]


def gen_landline_cn(rng: random.Random) -> str:
    area = rng.choice(["010", "021", "020", "0755", "0571", "028", "027", "029", "025", "023", "0532"])
    local = rng.choice("2345678") + _digits(rng, 7)
    return rng.choice([f"{area}-{local}", f"({area}){local}", f"{area} {local[:4]} {local[4:]}"])


def gen_id_card_cn(rng: random.Random) -> str:
    first = _id_first17(rng)
    return first + id_check_char(first)


def gen_bank_card_cn(rng: random.Random) -> str:
    n = _luhn_complete(rng.choice(["6222", "6217", "6228", "6214", "6226"]), rng.choice([16, 19]), rng)
    return n if rng.random() < 0.5 else _group(n, " ")


def gen_credit_card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("53", 16), ("55", 16), ("37", 15)])
    n = _luhn_complete(prefix, length, rng)
    if length == 15:
        return rng.choice([n, f"{n[:4]} {n[4:10]} {n[10:]}"])
    return rng.choice([n, _group(n, " "), _group(n, "-")])


def gen_email(rng: random.Random) -> str:
    local = rng.choice(["zhang", "li", "wang", "chen", "liu", "xiaoyu", "tiantian", "mike", "amy", "jw",
                        "service", "happy", "lucky", "sunny"]) + rng.choice(["", ".", "_"]) + _digits(rng, rng.randint(0, 4))
    local = local.rstrip("._") or "user"
    return f"{local}@{rng.choice(['qq.com', '163.com', '126.com', 'gmail.com', 'outlook.com', 'foxmail.com', 'sina.com', 'example.cn'])}"


def gen_ipv4(rng: random.Random) -> str:
    return ".".join(str(x) for x in (rng.randint(11, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)))


def gen_ipv6(rng: random.Random) -> str:
    groups = ["240e", "2409", "2408", "2001"][rng.randrange(4):][:1] + [f"{rng.randint(0, 0xffff):x}" for _ in range(7)]
    return ":".join(groups) if rng.random() < 0.5 else ":".join(groups[:4]) + "::" + groups[7]


def gen_qq(rng: random.Random) -> str:
    return rng.choice("123456789") + _digits(rng, rng.randint(5, 9))


def gen_us_phone(rng: random.Random) -> str:
    a, b, c = rng.choice("23456789") + _digits(rng, 2), rng.choice("23456789") + _digits(rng, 2), _digits(rng, 4)
    return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}"])


def gen_us_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def gen_person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def gen_person_en(rng: random.Random) -> str:
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


PII_GENERATORS = {
    "phone_cn": gen_phone_cn, "landline_cn": gen_landline_cn, "id_card_cn": gen_id_card_cn,
    "bank_card_cn": gen_bank_card_cn, "credit_card": gen_credit_card, "email": gen_email, "ipv4": gen_ipv4,
    "ipv6": gen_ipv6, "qq": gen_qq, "us_phone": gen_us_phone, "us_ssn": gen_us_ssn, "person": gen_person,
    "person_en": gen_person_en,
}


# ---- hard negatives: look like PII, are not -------------------------------------------------------

def _not_luhn(make, rng: random.Random) -> str:
    while True:
        value = make()
        if not luhn_valid(value):
            return value


def neg_order_number(rng: random.Random) -> str:
    return _not_luhn(lambda: f"{rng.randint(2019, 2025)}{rng.randint(1, 12):02d}{_digits(rng, rng.choice([10, 14]))}", rng)


def neg_bad_id_checksum(rng: random.Random) -> str:
    def make():
        first = _id_first17(rng)
        return first + rng.choice([c for c in "0123456789" if c != id_check_char(first)])
    return _not_luhn(make, rng)


def neg_price(rng: random.Random) -> str:
    return rng.choice([f"¥{rng.randint(1, 9)},{_digits(rng, 3)}.00", f"{rng.randint(19, 9999)}元", f"￥{rng.randint(10, 999)}.{_digits(rng, 2)}"])


def neg_date(rng: random.Random) -> str:
    y, m, d = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}年{m}月{d}日", f"{y}/{m:02d}/{d:02d}"])


def neg_isbn(rng: random.Random) -> str:
    body = "9787" + _digits(rng, 8)
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return f"ISBN {body[:3]}-{body[3]}-{body[4:7]}-{body[7:12]}-{check}"


def neg_hotline(rng: random.Random) -> str:
    return rng.choice(["95588", "95533", "95555", "10086", "12345", "12315", "110", "120", "119",
                       f"400-{_digits(rng, 3)}-{_digits(rng, 4)}", f"800-{_digits(rng, 3)}-{_digits(rng, 4)}"])


def neg_version(rng: random.Random) -> str:
    return rng.choice([f"v{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
                       f"10.0.{rng.randint(17000, 22999)}.{rng.randint(1000, 4999)}",
                       f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 40)}-beta"])


def neg_en_order(rng: random.Random) -> str:
    return _not_luhn(lambda: f"{rng.choice('123456789')}{_digits(rng, rng.choice([9, 11, 13]))}", rng)


NEG_GENERATORS = {
    "order_number": neg_order_number, "bad_id_checksum": neg_bad_id_checksum, "price": neg_price,
    "date": neg_date, "isbn": neg_isbn, "hotline": neg_hotline, "version": neg_version, "en_order": neg_en_order,
}

_MARK = re.compile(r"<<(pii|neg):(\w+)>>")


def render(template: str, rng: random.Random) -> tuple[str, list[dict], list[dict]]:
    """Fill slots, then markers. Returns (sentence, pii spans, hard-negative spans), offsets relative."""
    text = fill(template, rng)
    out: list[str] = []
    pii: list[dict] = []
    negs: list[dict] = []
    pos = last = 0
    for m in _MARK.finditer(text):
        out.append(text[last:m.start()])
        pos += m.start() - last
        kind, typ = m.groups()
        value = (PII_GENERATORS if kind == "pii" else NEG_GENERATORS)[typ](rng)
        if typ == "person_en":
            typ = "person"
        (pii if kind == "pii" else negs).append({"type": typ, "value": value, "start": pos, "end": pos + len(value)})
        out.append(value)
        pos += len(value)
        last = m.end()
    out.append(text[last:])
    return "".join(out), pii, negs
