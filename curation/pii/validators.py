"""Checksum and plausibility validators for structured identifiers (pure functions, no presidio).

Each validator takes the matched text as it appears in the analysis view (ASCII digits, separators
still in place) and answers True/False. None of them logs or raises with the value in the message:
the value is PII.

- `cn_resident_id_ok`: GB 11643-1999. 18 digits = 6-digit region + YYYYMMDD birth date + 3-digit
  sequence + ISO 7064 MOD 11-2 check character (0-9 or X); the 15-digit legacy form (before 1999) is
  region + YYMMDD (19YY) + 3-digit sequence, with no check digit. Both need a real calendar date and a
  known province code (first two digits), which is what separates them from 18-digit order numbers.
- `luhn_ok`: ISO/IEC 7812 Luhn (bank and credit cards).
- `nanp_ok`: North American numbering plan: area and exchange codes start with 2-9; area codes 400 and
  800 are left alone because in Chinese text `400-xxx-xxxx` / `800-xxx-xxxx` are company service lines
  (800 is also US toll-free). Other toll-free codes (888, 877, ...) are scrubbed: people do use them.
"""

from __future__ import annotations

import datetime as _dt

# GB/T 2260 province-level codes (first two digits of a resident id).
CN_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: remainder -> check character
SERVICE_AREAS = frozenset({"400", "800"})


def digits_of(text: str) -> str:
    """The ASCII digits of `text`, in order (separators dropped)."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def cn_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an 18-digit resident id."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _valid_date(year: int, month: int, day: int, today: _dt.date | None = None) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    today = today or _dt.date.today()
    return _dt.date(1900, 1, 1) <= born <= today


def cn_resident_id_ok(text: str, today: _dt.date | None = None) -> bool:
    """True for an 18-digit id with a valid check character, or a plausible 15-digit legacy id.

    Args:
        text: the match (separators allowed; a final `x` may be lower case).
        today: reference date for the birth-date check (tests pass a fixed one).
    """
    chars = [ch for ch in text.upper() if ch.isalnum()]
    value = "".join(chars)
    if len(value) == 18:
        if not value[:17].isdigit() or value[:2] not in CN_PROVINCES:
            return False
        if not _valid_date(int(value[6:10]), int(value[10:12]), int(value[12:14]), today):
            return False
        return cn_id_check_char(value[:17]) == value[17]
    if len(value) == 15 and value.isdigit():
        if value[:2] not in CN_PROVINCES:
            return False
        return _valid_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), today)
    return False


def looks_like_resident_id(digits: str) -> bool:
    """An 18-character value with a province code and a real birth date, whatever its check character.

    Card validators reject these: an 18-digit id with a mistyped check character is not a card number.
    """
    return (len(digits) == 18 and digits[:2] in CN_PROVINCES and digits[6:14].isdigit()
            and _valid_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])))


def luhn_ok(text: str) -> bool:
    """Luhn checksum over the digits of `text` (False when there are fewer than 12 digits)."""
    digits = digits_of(text)
    if len(digits) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """Issuer family from the IIN prefix and length: 'unionpay', 'credit' (Visa, Mastercard, Amex, JCB,
    Discover, Diners, Maestro) or None (not a payment card number)."""
    n = len(digits)
    if digits.startswith("62") and 16 <= n <= 19:
        return "unionpay"
    if digits[0] == "4" and n in (13, 16, 19):
        return "credit"
    if n == 16 and ("51" <= digits[:2] <= "55" or "2221" <= digits[:4] <= "2720"):
        return "credit"
    if n == 15 and digits[:2] in ("34", "37"):
        return "credit"
    if 16 <= n <= 19 and (digits.startswith(("35", "6011", "65")) or "644" <= digits[:3] <= "649"):
        return "credit"
    if n == 15 and digits.startswith(("2131", "1800")):  # JCB 15
        return "credit"
    if n == 14 and (digits[:2] in ("36", "38", "39") or "300" <= digits[:3] <= "305"):  # Diners Club
        return "credit"
    if 12 <= n <= 19 and (digits[:2] in ("50", "56", "57", "58") or digits.startswith(("6304", "6390", "6759", "676", "0604"))):
        return "credit"  # Maestro
    return None


def nanp_ok(text: str) -> bool:
    """True for a personal-looking North American number (10 digits after an optional leading 1)."""
    digits = digits_of(text.split("x")[0].split("X")[0].split("ext")[0])
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    elif len(digits) == 13 and digits.startswith("001"):
        digits = digits[3:]
    if len(digits) != 10:
        return False
    area, exchange = digits[:3], digits[3:6]
    return area[0] not in "01" and exchange[0] not in "01" and area not in SERVICE_AREAS
