"""Checksums and plausibility checks, with known answers."""

import datetime as dt

import pytest

from curation.pii import validators as v

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("11010519491231002X", True),   # the GB 11643 example id
        ("11010519491231002x", True),   # lower-case check character
        ("110105 19491231 002X", True),  # separators between blocks
        ("110105194912310021", False),  # wrong check character
        ("110105194913310028", False),  # month 13
        ("110105194902300025", False),  # 30 February
        ("990105194912310028", False),  # no province 99
        ("110105203001010012", False),  # born in the future
        ("110105491231002", True),      # 15-digit legacy form: 1949-12-31
        ("110105491331002", False),     # legacy form, month 13
    ],
    ids=["gb-example", "lower-x", "spaced", "bad-check", "month-13", "feb-30", "bad-province", "future",
         "legacy-15", "legacy-bad-date"],
)
def test_cn_resident_id(value, ok):
    assert v.cn_resident_id_ok(value, today=TODAY) is ok


def test_check_char_matches_reference():
    assert v.cn_id_check_char("11010519491231002") == "X"
    assert v.cn_id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "value, ok",
    [("4111 1111 1111 1111", True), ("4111111111111112", False), ("6222021234567890128", None), ("1234", False)],
    ids=["visa-test", "visa-off-by-one", "unionpay-19", "too-short"],
)
def test_luhn(value, ok):
    if ok is None:  # computed: make the number valid and check both ways
        body = v.digits_of(value)[:-1]
        good = next(body + str(d) for d in range(10) if v.luhn_ok(body + str(d)))
        assert v.luhn_ok(good) and not v.luhn_ok(body + str((int(good[-1]) + 1) % 10))
    else:
        assert v.luhn_ok(value) is ok


@pytest.mark.parametrize(
    "digits, brand",
    [("6222021234567890", "unionpay"), ("4111111111111111", "credit"), ("378282246310005", "credit"),
     ("5500000000000004", "credit"), ("2023111500000001", None), ("9787111547426", None)],
    ids=["unionpay", "visa", "amex", "mastercard", "order-number", "isbn"],
)
def test_card_brand(digits, brand):
    assert v.card_brand(digits) == brand


@pytest.mark.parametrize(
    "value, ok",
    [("(212) 555-0147", True), ("+1-212-555-0147", True), ("001-212-555-0147x12", True),
     ("400-820-8820", False), ("800-820-8820", False), ("112-555-0147", False), ("212-155-0147", False),
     ("888.736.0108", True)],
    ids=["parens", "plus1", "001-ext", "cn-400-service", "800-service", "area-starts-1", "exchange-starts-1",
         "toll-free-888-is-personal"],
)
def test_nanp(value, ok):
    assert v.nanp_ok(value) is ok
