"""Exact and MinHash-LSH near-duplicate detection: the pure logic behind `pipelines/dedup.py`.

- `shingles`: script-aware tokens (one Han / kana / Hangul character, or one Latin word) hashed into
  n-gram shingles with vectorized numpy polynomial hashing, one document or a whole batch at once.
- `minhash`: vectorized signatures, LSH band keys, parameter choice (datasketch), Jaccard estimates.
- `buckets`: LSH buckets in two passes (numbers first, then exact collapse and candidate pairs).
- `keep`: the deterministic keep rule (which document of a cluster survives).
- `components`: large-star / small-star rounds (what the Beam stage runs as GroupByKeys) and the
  union-find oracle they are tested against.
- `report`: cluster-size histogram and removed shares for `stats.json`.

No Beam import anywhere in this package.
"""
