"""PII stage configuration: which types to find and what to do with each (checked before work starts).

Types are the short names used in placeholders, attributes and config files; each covers one or more
presidio entities:

    phone        CN_MOBILE, CN_LANDLINE, US_PHONE    <PHONE>
    id_card      CN_ID_CARD                          <ID_CARD>
    bank_card    CN_BANK_CARD                        <BANK_CARD>
    credit_card  CREDIT_CARD                         <CREDIT_CARD>
    email        EMAIL_ADDRESS                       <EMAIL>
    ip           IP_ADDRESS                          <IP>
    passport     CN_PASSPORT                         <PASSPORT>
    qq, wechat   QQ_NUMBER, WECHAT_ID                <QQ>, <WECHAT>
    ssn, iban    US_SSN, IBAN_CODE                   <SSN>, <IBAN>
    credentials  URL_CREDENTIALS                     <CREDENTIALS>

Operators: `placeholder` (default), `mask` (letters and digits -> `mask_char`, separators kept, the
last `mask_keep_last` kept), `hash` (a consistent salted pseudonym `<PHONE_3fa9c2d1e0>`: HMAC-SHA256 of
the canonical value, so `138-0013-8000` and `13800138000` get the same one), `drop` (the document goes
to rejected/ with reason `pii_drop`, its text scrubbed with placeholders). The salt is read from the
environment variable named by `salt_env` when the config is built (on the machine that launches the
pipeline) and kept in a non-field attribute: it travels to workers inside the pickled config but never
lands in stats.json, a config dump or a repr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from curation.errors import ConfigError

ENTITY_TYPE = {
    "CN_MOBILE": "phone", "CN_LANDLINE": "phone", "US_PHONE": "phone", "CN_ID_CARD": "id_card",
    "CN_BANK_CARD": "bank_card", "CREDIT_CARD": "credit_card", "EMAIL_ADDRESS": "email", "IP_ADDRESS": "ip",
    "CN_PASSPORT": "passport", "QQ_NUMBER": "qq", "WECHAT_ID": "wechat", "US_SSN": "ssn", "IBAN_CODE": "iban",
    "URL_CREDENTIALS": "credentials",
}
TYPES = tuple(dict.fromkeys(ENTITY_TYPE.values()))
OPERATORS = ("placeholder", "mask", "hash", "drop")
MIN_SALT_BYTES = 16  # presidio's hash operator asks for at least 128 bits of salt; so do we


def placeholder(pii_type: str) -> str:
    """`<PHONE>`, `<ID_CARD>`, ... for a type name."""
    return f"<{pii_type.upper()}>"


@dataclass
class PiiConfig:
    """What the PII stage finds and how it rewrites it.

    Args:
        operators: type -> operator for types that do not use `default_operator`.
        default_operator: operator for every other type.
        types: types to look for (default: all of TYPES).
        score_threshold: minimum presidio score (after context words) for a finding.
        salt_env: environment variable holding the salt for `hash` (at least 16 bytes).
        mask_char: character `mask` writes.
        mask_keep_last: trailing letters/digits `mask` leaves visible (0 = none).
        batch_size: documents scrubbed together (their candidate windows share analyze() calls).
    """

    operators: dict[str, str] = field(default_factory=dict)
    default_operator: str = "placeholder"
    types: list[str] = field(default_factory=lambda: list(TYPES))
    score_threshold: float = 0.5
    salt_env: str = "QINGLIU_PII_SALT"
    mask_char: str = "*"
    mask_keep_last: int = 0
    batch_size: int = 512

    def __post_init__(self):
        self._salt = os.environ.get(self.salt_env, "")  # not a dataclass field: absent from asdict() and repr
        if isinstance(self.types, str):
            self.types = [t.strip() for t in self.types.split(",") if t.strip()]
        bad = [t for t in list(self.operators) + list(self.types) if t not in TYPES]
        if bad:
            raise ConfigError(f"unknown PII type(s) {bad}; known: {', '.join(TYPES)}")
        for op in list(self.operators.values()) + [self.default_operator]:
            if op not in OPERATORS:
                raise ConfigError(f"unknown PII operator '{op}'; choose one of {', '.join(OPERATORS)}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be in [0, 1], got {self.score_threshold}")
        if len(self.mask_char) != 1:
            raise ConfigError("mask_char must be exactly one character")
        if self.mask_keep_last < 0 or self.batch_size < 1:
            raise ConfigError("mask_keep_last must be >= 0 and batch_size >= 1")
        if "hash" in self.used_operators() and len(self.salt().encode()) < MIN_SALT_BYTES:
            raise ConfigError(f"operator 'hash' needs a salt of at least {MIN_SALT_BYTES} bytes in ${self.salt_env}")

    def operator_for(self, pii_type: str) -> str:
        return self.operators.get(pii_type, self.default_operator)

    def used_operators(self) -> set[str]:
        return {self.operator_for(t) for t in self.types}

    def salt(self) -> str:
        return self._salt

    def entities(self) -> list[str]:
        """presidio entity names for the configured types."""
        return [e for e, t in ENTITY_TYPE.items() if t in self.types]


def parse_operators(value) -> dict[str, str]:
    """`phone=mask,id_card=drop` (or a YAML mapping, or a list of `type=op`) -> {type: operator}."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    items = value if isinstance(value, list) else str(value).split(",")
    out = {}
    for item in items:
        if "=" not in str(item):
            raise ConfigError(f"--operators expects TYPE=OPERATOR pairs, got '{item}'")
        k, v = str(item).split("=", 1)
        out[k.strip()] = v.strip()
    return out
