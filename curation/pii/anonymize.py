"""Apply operators to found spans with presidio-anonymizer: placeholder, mask, salted hash.

The spans handed in are already non-overlapping (`scrub.resolve_overlaps`), so presidio's own conflict
handling never has to guess. `hash` and `mask` are presidio `custom` operators (their functions are
built here, once per worker) because presidio's `hash` writes a 64-hex digest with no type, and `mask`
masks a fixed count of characters; ours keep the separators and the type.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from curation.pii.config import TYPES, PiiConfig, placeholder

HASH_HEX = 10  # 40 bits: collisions among a corpus's distinct values of one type stay rare


def canonical(value: str) -> str:
    """The form two spellings of one value share: NFKC, case folded, separators dropped."""
    value = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in value if ch.isalnum() or ch in "@.:_")


def make_hasher(pii_type: str, salt: str):
    key = salt.encode("utf-8")
    tag = pii_type.upper()

    def pseudonym(value: str) -> str:
        digest = hmac.new(key, f"{pii_type}:{canonical(value)}".encode(), hashlib.sha256).hexdigest()
        return f"<{tag}_{digest[:HASH_HEX]}>"

    return pseudonym


def make_masker(mask_char: str, keep_last: int):
    def mask(value: str) -> str:
        alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
        hidden = set(alnum[: max(0, len(alnum) - keep_last)])
        return "".join(mask_char if i in hidden else ch for i, ch in enumerate(value))

    return mask


class Anonymizer:
    """Rewrites a text given its resolved spans; one instance per worker.

    Args:
        config: the stage config (operators per type, salt, mask settings).
    """

    def __init__(self, config: PiiConfig):
        self.engine = AnonymizerEngine()
        self.operators: dict[str, OperatorConfig] = {}
        self.placeholders = {t: OperatorConfig("replace", {"new_value": placeholder(t)}) for t in TYPES}
        for t in TYPES:
            op = config.operator_for(t)
            if op == "mask":
                self.operators[t] = OperatorConfig("custom", {"lambda": make_masker(config.mask_char,
                                                                                    config.mask_keep_last)})
            elif op == "hash":
                self.operators[t] = OperatorConfig("custom", {"lambda": make_hasher(t, config.salt())})
            else:  # placeholder, and drop (a dropped document's rejected copy is scrubbed with placeholders)
                self.operators[t] = self.placeholders[t]

    def apply(self, text: str, spans: list[tuple[int, int, str]], placeholders_only: bool = False) -> str:
        """`text` with every (start, end, type) span rewritten; `text` itself when there are none."""
        if not spans:
            return text
        results = [RecognizerResult(t, s, e, 1.0) for s, e, t in spans]
        ops = self.placeholders if placeholders_only else self.operators
        return self.engine.anonymize(text, results, ops, merge_entities_with_spaces=False).text
