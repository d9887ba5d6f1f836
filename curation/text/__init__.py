"""Shared text utilities: the matching view and script statistics used by every stage."""

from curation.text.normalize import han_ratio, normalize_text

__all__ = ["han_ratio", "normalize_text"]
