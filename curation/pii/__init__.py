"""PII detection and scrubbing for Chinese and English text on presidio (no model downloads).

    from curation.pii import PiiConfig, PiiScrubber
    s = PiiScrubber(PiiConfig(operators={"id_card": "drop"}))
    s.scrub("邮箱zs@example.com您好").text   # '邮箱<EMAIL>您好'

Modules: `validators` (checksums), `recognizers` (presidio recognizers), `prefilter` (candidate windows,
analysis view), `engine` (AnalyzerEngine with the no-op NLP engine), `anonymize` (operators), `config`,
`scrub` (batch scrubbing). No Beam import here; `pipelines/pii.py` is the Beam stage.
"""

from curation.pii.config import ENTITY_TYPE, OPERATORS, TYPES, PiiConfig, placeholder
from curation.pii.scrub import Finding, PiiScrubber, ScrubResult, attributes

__all__ = ["ENTITY_TYPE", "OPERATORS", "TYPES", "PiiConfig", "placeholder", "Finding", "PiiScrubber",
           "ScrubResult", "attributes"]
