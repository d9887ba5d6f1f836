"""Detection tables: what must be found (and typed), what must survive, and bad input.

Every case runs through the real presidio AnalyzerEngine (no NLP model) via PiiScrubber.find_batch.
"""

import pytest

from curation.pii import PiiScrubber


@pytest.fixture(scope="module")
def scrubber():
    s = PiiScrubber()
    s.setup()
    return s


def found(scrubber, text):
    return [(text[f.start:f.end], f.type) for f in scrubber.find_batch([text])[0] or []]


POSITIVE = [
    # (text, value that must be covered, type)
    ("手机13800138000谢谢", "13800138000", "phone"),
    ("电话：+86 138 0013 8000", "+86 138 0013 8000", "phone"),
    ("联系人手机+8613800138000。", "+8613800138000", "phone"),
    ("手机：138-0013-8000", "138-0013-8000", "phone"),
    ("手机：１３８００１３８０００", "１３８００１３８０００", "phone"),
    ("座机010-62345678转123", "010-62345678转123", "phone"),
    ("电话（0571）88886666", "（0571）88886666", "phone"),
    ("身份证号11010519491231002X，", "11010519491231002X", "id_card"),
    ("身份证：１１０１０５１９４９１２３１００２Ｘ", "１１０１０５１９４９１２３１００２Ｘ", "id_card"),
    ("老身份证110105491231002", "110105491231002", "id_card"),
    ("卡号6222 0212 3456 7890 128", None, "bank_card"),
    ("Visa 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111", "credit_card"),
    ("邮箱zs@example.com您好", "zs@example.com", "email"),
    ("请发邮件至ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ。", "ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ", "email"),
    ("服务器8.8.8.8已经", "8.8.8.8", "ip"),
    ("Server 8.8.8.8 is down", "8.8.8.8", "ip"),
    ("主机2001:db8:85a3::8a2e:370:7334上线", "2001:db8:85a3::8a2e:370:7334", "ip"),
    ("护照号码E12345678", "E12345678", "passport"),
    ("加QQ753153详谈", "753153", "qq"),
    ("微信：zhang_san88", "zhang_san88", "wechat"),
    ("Call me at (212) 555-0147 tonight", "(212) 555-0147", "phone"),
    ("phone 2125550147", "2125550147", "phone"),
    ("SSN 536-22-1234 on file", "536-22-1234", "ssn"),
    ("IBAN DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00", "iban"),
    ("db: https://bob:s3cret@db.example.com/x", "https://bob:s3cret@db.example.com", "credentials"),
]
POSITIVE_IDS = [
    "mobile-cjk-adjacent", "mobile-plus86-spaces", "mobile-plus86-glued", "mobile-dashes", "mobile-fullwidth",
    "landline-ext", "landline-parens-fullwidth", "id18", "id18-fullwidth", "id15-legacy-context", "unionpay-19",
    "visa", "email-cjk-adjacent", "email-fullwidth", "ipv4-cjk-adjacent", "ipv4-after-server", "ipv6", "passport-context",
    "qq-glued", "wechat-context", "us-phone-parens", "us-phone-bare-context", "ssn", "iban", "url-credentials",
]


def _with_luhn(prefix: str) -> str:
    from curation.pii.validators import luhn_ok

    return next(prefix + str(d) for d in range(10) if luhn_ok(prefix + str(d)))


@pytest.mark.parametrize("text, value, pii_type", POSITIVE, ids=POSITIVE_IDS)
def test_positive(scrubber, text, value, pii_type):
    if value is None:  # bank card: make the check digit right
        value = _with_luhn("6222 0212 3456 7890 12")
        text = f"卡号{value}"
    hits = found(scrubber, text)
    assert any(value in span for span, _ in hits), hits
    assert [t for span, t in hits if value in span] == [pii_type]


HARD_NEGATIVES = [
    "订单号202311150000000001已发货",
    "编号110105194912310021作废",  # 18 digits, wrong check character
    "会议时间2023-11-15 12:30:45开始",
    "时间戳1700000000123",
    "售价¥1,299.00元，营收12345678元",
    "Revenue rose to 12,345,678 dlrs from 9,876,543 dlrs",
    "ISBN 978-7-111-54742-6",
    "股票代码600519今日上涨",
    "邮编100080",
    "升级到版本 2.0.0.1 后重启",
    "version 10.0.19041.1 installed",
    "v1.2.3 released",
    "客服热线95588，全国统一服务热线400-820-8820，报警110",
    "Toll-free 800-820-8820",
    "std::vector<int> add::",
    "转发微博 //@张三: 好消息",
    "1234567890123456789012345678901234567890",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES, ids=[
    "order-number", "id-bad-checksum", "timestamp", "ms-timestamp", "prices", "revenue-en", "isbn", "stock-code",
    "postcode", "version-zh-4part", "version-en-4part", "version-3part", "hotlines", "us-toll-free-800",
    "cpp-scope", "weibo-mention", "only-digits"])
def test_hard_negative_survives(scrubber, text):
    assert found(scrubber, text) == []
    assert scrubber.scrub(text).text is text or scrubber.scrub(text).text == text


def test_overlapping_entities_merge_into_one_span(scrubber):
    text = "邮箱13800138000@qq.com"
    assert found(scrubber, text) == [("13800138000@qq.com", "email")]
    assert scrubber.scrub(text).text == "邮箱<EMAIL>"


def test_two_phones_separated_by_a_space(scrubber):
    assert scrubber.scrub("电话 13800138000 13900139000 谢谢").text == "电话 <PHONE> <PHONE> 谢谢"


@pytest.mark.parametrize("text, value", [
    ("手机138\n0013\n8000请回电", "138\n0013\n8000"),
    ("身份证110105\n19491231002X", "110105\n19491231002X"),
], ids=["phone-split-by-lines", "id-split-by-lines"])
def test_pii_split_by_line_breaks(scrubber, text, value):
    hits = found(scrubber, text)
    assert any(value in span for span, _ in hits), hits


def test_text_that_is_only_digits(scrubber):
    assert found(scrubber, "0123456789" * 1000) == []
    assert found(scrubber, "13800138000") == [("13800138000", "phone")]


def test_ten_megabyte_document(scrubber):
    filler = "今天的天气很好，我们去公园散步。" * 40 + "\n"
    planted = "联系电话13800138000，邮箱zs@example.com。"
    text = (filler * 700 + planted) * 12  # about 10 MB of UTF-8 with 12 planted pairs
    assert len(text.encode()) > 10_000_000
    result = scrubber.scrub(text)
    assert result.counts == {"phone": 12, "email": 12}
    assert "13800138000" not in result.text and "zs@example.com" not in result.text


def test_many_findings_in_one_document_scale_linearly(scrubber):
    text = "13800138000 " * 5000
    result = scrubber.scrub(text)
    assert result.counts == {"phone": 5000} and result.text == "<PHONE> " * 5000


def test_spaced_digit_table_is_not_pii(scrubber):
    assert found(scrubber, "1234 5678 " * 5000) == []
    assert found(scrubber, "12-34-56-78-90-" * 3000) == []
