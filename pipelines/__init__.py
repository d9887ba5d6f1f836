"""Beam wiring only: small named PTransforms around `curation` logic, and one `run(argv)` per stage."""
