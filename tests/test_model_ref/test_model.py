"""Model: HF parity of names and logits, KV cache, sampling, presets on the meta device."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from model_ref.config import PRESETS, get_preset, size_report
from model_ref.model import KVCache, ModelConfig, ReferenceLM, sample_next


def hf_llama(cfg: ModelConfig):
    from model_ref.export import hf_llama as build

    return build(cfg).eval()


@pytest.mark.parametrize(
    "n_kv,tied", [(1, True), (2, False), (4, True)], ids=["mqa-tied", "gqa2-untied", "mha"]
)
def test_same_names_and_logits_as_transformers_llama(n_kv, tied):
    cfg = ModelConfig(
        vocab_size=300,
        dim=96,
        n_layers=2,
        n_heads=4,
        n_kv_heads=n_kv,
        head_dim=32,
        ffn_dim=160,
        max_seq_len=128,
        tie_embeddings=tied,
    )
    torch.manual_seed(0)
    ours = ReferenceLM(cfg).eval()
    hf = hf_llama(cfg)
    assert set(ours.state_dict()) == set(hf.state_dict())
    hf.load_state_dict(ours.state_dict())
    x = torch.randint(0, 300, (2, 40))
    with torch.no_grad():
        delta = (ours(x)[0] - hf(x).logits).abs().max().item()
    assert delta <= 1e-4


def test_loss_is_shifted_cross_entropy():
    torch.manual_seed(0)
    m = ReferenceLM(get_preset("tiny", vocab_size=64))
    x = torch.randint(0, 64, (2, 17))
    with torch.no_grad():
        logits, loss = m(x[:, :-1], x[:, 1:])
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, 64), x[:, 1:].reshape(-1))
    assert torch.allclose(loss, ref)
    assert abs(loss.item() - torch.log(torch.tensor(64.0)).item()) < 0.5  # near-uniform at init


def test_chunked_head_loss_matches_plain_cross_entropy_and_grads(monkeypatch):
    """CPU training uses ChunkedHeadLoss; loss and every gradient equal the plain head + F.cross_entropy."""
    from model_ref.model import ChunkedHeadLoss

    monkeypatch.setattr(ChunkedHeadLoss, "CHUNK", 7)  # several chunks, a ragged last one
    torch.manual_seed(0)
    m = ReferenceLM(get_preset("tiny", vocab_size=97))
    x = torch.randint(0, 97, (3, 11))
    y = torch.randint(0, 97, (3, 11))
    y[0, :4] = -100  # ignored targets
    logits, loss = m(x, y)
    assert logits is None
    loss.backward()
    grads = {k: p.grad.clone() for k, p in m.named_parameters()}
    m.zero_grad()
    h = m.model.norm(_hidden(m, x))
    ref = torch.nn.functional.cross_entropy(m.lm_head(h).reshape(-1, 97), y.reshape(-1), ignore_index=-100)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), abs=1e-6)
    for k, p in m.named_parameters():
        assert torch.allclose(grads[k], p.grad, atol=1e-6), k


def _hidden(m, idx):
    cos, sin = m.rope_cos[: idx.shape[1]], m.rope_sin[: idx.shape[1]]
    x = m.model.embed_tokens(idx)
    for block in m.model.layers:
        x = block(x, cos, sin)
    return x


def test_kv_cache_matches_full_forward_including_chunked_prefill():
    torch.manual_seed(0)
    m = ReferenceLM(get_preset("tiny", vocab_size=100)).eval()
    x = torch.randint(0, 100, (2, 24))
    with torch.no_grad():
        full, _ = m(x)
        cache = KVCache(m.cfg, 2, 24)
        a, _ = m(x[:, :10], cache=cache, pos=0)  # prefill
        b, _ = m(x[:, 10:16], cache=cache, pos=10)  # chunk attending to the cache
        steps = [m(x[:, i : i + 1], cache=cache, pos=i)[0] for i in range(16, 24)]  # one token at a time
    inc = torch.cat([a, b, *steps], dim=1)
    assert (inc - full).abs().max().item() < 1e-5


def test_greedy_generate_equals_argmax_of_full_forward():
    torch.manual_seed(0)
    m = ReferenceLM(get_preset("tiny", vocab_size=100)).eval()
    prompt = torch.randint(1, 100, (2, 5))
    out = m.generate(prompt, max_new_tokens=12, temperature=0)
    assert out.shape == (2, 17)
    with torch.no_grad():
        logits, _ = m(out[:, :-1])
    assert torch.equal(logits.argmax(-1)[:, 4:], out[:, 5:])


def test_generate_stops_at_eos_and_respects_max_seq_len():
    m = ReferenceLM(get_preset("tiny", vocab_size=50, max_seq_len=16)).eval()
    with torch.no_grad():
        m.model.norm.weight.zero_()  # every logit 0 -> greedy argmax picks id 0
    # with eos_id=0 it stops after one token
    out = m.generate(torch.tensor([[3, 4]]), max_new_tokens=10, temperature=0, eos_id=0)
    assert out.tolist() == [[3, 4, 0]]
    out = m.generate(torch.tensor([[3, 4]]), max_new_tokens=100, temperature=0)
    assert out.shape[1] == 16  # capped at max_seq_len


def test_top_p_samples_only_from_the_nucleus():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    gen = torch.Generator().manual_seed(0)
    seen = {int(sample_next(logits, 1.0, 0.7, gen)) for _ in range(300)}
    assert seen == {0, 1}  # 0.5 + 0.3 >= 0.7: tokens 2 and 3 are cut
    assert int(sample_next(logits, 0.0, 1.0)) == 0
    seen_all = {int(sample_next(logits, 1.0, 1.0, gen)) for _ in range(600)}
    assert seen_all == {0, 1, 2, 3}


def test_big_presets_on_meta_device():
    r7 = size_report(PRESETS["7b-mqa"])
    r13 = size_report(PRESETS["13b-gqa8"])
    assert PRESETS["7b-mqa"].n_kv_heads == 1 and PRESETS["13b-gqa8"].n_kv_heads == 8
    assert 6.8e9 < r7["params"] < 7.3e9
    assert 12.8e9 < r13["params"] < 13.6e9
    assert r7["bf16_gib"] == pytest.approx(r7["params"] * 2 / 2**30)
    assert r7["int4_gib"] == pytest.approx(r7["bf16_gib"] / 4)


def _kv_cache_bytes(cfg: ModelConfig, seq_len: int) -> int:
    """Bytes of the KV cache the model itself allocates (the KVCache that generate() builds), at bf16 for one
    sequence; on the meta device, so the 13B shapes cost no memory."""
    cache = KVCache(cfg, batch_size=1, max_len=seq_len, device="meta", dtype=torch.bfloat16)
    return sum(t.numel() * t.element_size() for t in cache.k + cache.v)


# Per token, each layer stores K and V of n_kv_heads x head_dim bf16 (2-byte) values:
#   7b-mqa:   32 layers x 2 (K, V) x 1 head x 128 x 2 B =  16,384 B = 16 KiB  -> 64 MiB at 4,096 tokens
#   13b-gqa8: 40 layers x 2 (K, V) x 8 heads x 128 x 2 B = 163,840 B = 160 KiB -> 640 MiB at 4,096 tokens
@pytest.mark.parametrize("name, kib_per_token", [("7b-mqa", 16), ("13b-gqa8", 160)])
def test_kv_cache_size_is_what_the_model_allocates(name, kib_per_token):
    cfg = PRESETS[name]
    r = size_report(cfg)
    seq_len = r["kv_cache_seq_len"]
    assert seq_len == cfg.max_seq_len == 4096
    allocated = _kv_cache_bytes(cfg, seq_len)
    assert allocated == kib_per_token * 1024 * seq_len
    assert r["kv_cache_bf16_gib"] * 2**30 == allocated
    # What MQA / GQA buy: the same model with one KV head per query head (MHA) allocates n_heads / n_kv_heads
    # times more (32x for 7b-mqa, 5x for 13b-gqa8).
    mha = replace(cfg, n_kv_heads=cfg.n_heads)
    assert _kv_cache_bytes(mha, seq_len) == allocated * cfg.n_heads // cfg.n_kv_heads
    assert size_report(mha)["kv_cache_bf16_gib"] == r["kv_cache_bf16_gib"] * cfg.n_heads / cfg.n_kv_heads


@pytest.mark.parametrize("name,lo,hi", [("small", 20e6, 30e6), ("base", 110e6, 140e6)])
def test_trainable_preset_sizes(name, lo, hi):
    assert lo < size_report(PRESETS[name])["params"] < hi
    assert PRESETS[name].head_dim in (64, 128)


def test_config_validation():
    with pytest.raises(ValueError, match="multiple of n_kv_heads"):
        ModelConfig(n_heads=8, n_kv_heads=3)
    with pytest.raises(ValueError, match="unknown ModelConfig fields"):
        ModelConfig.from_dict({"dim": 8, "bogus": 1})


def test_fused_training_projections_equal_the_inference_ones():
    """Training runs q/k/v and gate/up as one GEMM each; inference runs the separate projections (no weight
    copy per generated token). Both must give the same logits."""
    torch.manual_seed(0)
    m = ReferenceLM(get_preset("tiny", vocab_size=64, dim=64, n_heads=2, n_kv_heads=1, head_dim=32, ffn_dim=96))
    x = torch.randint(0, 64, (2, 9))
    fused, _ = m(x)
    with torch.no_grad():
        separate, _ = m(x)
    assert fused.requires_grad and torch.allclose(fused.detach(), separate, atol=1e-5)
