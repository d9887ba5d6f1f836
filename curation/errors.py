"""The three kinds of failure (after dolma's `core/errors.py`), each handled one way.

- `ConfigError`: a bad flag, config or input path. Raised before any worker starts; the CLI exits 2.
- `BadRecordError`: one unreadable record. Counted, kept as an example with file and line, never fatal.
- anything else is a bug and raises.
"""


class CurationError(Exception):
    """Base class of every error Qingliu raises on purpose."""


class ConfigError(CurationError):
    """Bad configuration or input paths: reported before any work starts (exit code 2)."""


class BadRecordError(CurationError):
    """One input record cannot be read. Carries the file and the 1-based line (or row) it came from."""

    def __init__(self, message: str, source_file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.source_file = source_file
        self.line = line

    def __str__(self) -> str:
        where = f"{self.source_file}:{self.line}" if self.line is not None else str(self.source_file)
        return f"{where}: {self.args[0]}"
