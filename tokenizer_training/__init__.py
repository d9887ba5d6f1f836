"""The 65,536-token Chinese-heavy byte-level BPE: train, evaluate, export, encode (`curate tokenizer`).

See docs/tokenizer.md for the design and the token shard format read by model_ref/.
"""
