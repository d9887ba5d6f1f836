"""The reference model: a compact Llama-style decoder in one file (after nanoGPT's `model.py`).

RMSNorm -> attention with `n_kv_heads` key/value heads (grouped-query; 1 = multi-query) and RoPE ->
RMSNorm -> SwiGLU MLP, pre-norm residual blocks, tied input/output embeddings by default.

Parameter names are exactly those of `transformers.LlamaForCausalLM` (`model.embed_tokens.weight`,
`model.layers.{i}.self_attn.q_proj.weight`, ..., `model.norm.weight`, `lm_head.weight`), so the Hugging Face
export (`model_ref/export.py`) is a rename-free save, and RoPE uses the HF `rotate_half` convention (the two
halves of a head are the real and imaginary parts), so the exported model gives the same logits there.

    from model_ref.model import ModelConfig, ReferenceLM
    model = ReferenceLM(ModelConfig(vocab_size=512, dim=128, n_layers=2, n_heads=2, n_kv_heads=1))
    logits, loss = model(idx, targets)              # idx, targets: (B, T) int64
    out = model.generate(idx, max_new_tokens=20, temperature=0.8, top_p=0.95)   # uses the KV cache
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    """Shape of the model. Saved as JSON in every checkpoint (nanoGPT's `model_args`).

    Args:
        vocab_size: token ids are < vocab_size; 65,536 fits uint16 shards exactly.
        dim: model width (hidden_size).
        n_layers: number of transformer blocks.
        n_heads: query heads.
        n_kv_heads: key/value heads; n_heads % n_kv_heads == 0. 1 = MQA, n_heads = plain MHA.
        head_dim: width of one head (64 or 128 in every preset); n_heads * head_dim need not equal dim.
        ffn_dim: SwiGLU inner width (intermediate_size).
        max_seq_len: longest context (RoPE table length and KV cache default).
        rope_theta: RoPE base (10,000 as in Llama 1/2).
        norm_eps: RMSNorm epsilon.
        tie_embeddings: share the input embedding with the output head (saves vocab * dim parameters).
        init_std: std of the normal init (GPT-2 / Llama: 0.02); residual projections get /sqrt(2 * n_layers).
    """

    vocab_size: int = 65536
    dim: int = 512
    n_layers: int = 8
    n_heads: int = 8
    n_kv_heads: int = 8
    head_dim: int = 64
    ffn_dim: int = 1408
    max_seq_len: int = 2048
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True
    init_std: float = 0.02

    def __post_init__(self):
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})")
        if self.head_dim % 2:
            raise ValueError(f"head_dim must be even for RoPE, got {self.head_dim}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields: {sorted(unknown)}")
        return cls(**d)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # Normalise in fp32 like HF's LlamaRMSNorm, then cast back (matters under bf16 autocast).
        return F.rms_norm(x.float(), (x.shape[-1],), self.weight.float(), self.eps).to(x.dtype)


def rope_table(cfg: ModelConfig, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (max_seq_len, head_dim) in the HF layout: frequencies repeated for both halves."""
    inv_freq = 1.0 / (
        cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, device=device).float() / cfg.head_dim)
    )
    t = torch.arange(cfg.max_seq_len, device=device).float()
    freqs = torch.outer(t, inv_freq)  # (T, hd/2)
    emb = torch.cat([freqs, freqs], dim=-1)  # (T, hd)
    return emb.cos(), emb.sin()


def apply_rope(x, cos, sin):
    """x: (B, nh, T, hd); cos/sin: (T, hd). HF `rotate_half`: (x1, x2) -> (-x2, x1)."""
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class KVCache:
    """Preallocated keys/values for incremental decoding: per layer (B, n_kv_heads, max_len, hd)."""

    def __init__(self, cfg: ModelConfig, batch_size: int, max_len: int, device=None, dtype=torch.float32):
        shape = (batch_size, cfg.n_kv_heads, max_len, cfg.head_dim)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(cfg.n_layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(cfg.n_layers)]
        self.max_len = max_len

    def update(self, layer: int, pos: int, k, v):
        """Write k, v (B, nkv, T, hd) at positions [pos, pos + T); return all keys/values up to pos + T."""
        end = pos + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache full: {end} > max_len {self.max_len}")
        self.k[layer][:, :, pos:end] = k
        self.v[layer][:, :, pos:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.layer, self.nh, self.nkv, self.hd = layer, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.dim, cfg.n_heads * cfg.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.o_proj = nn.Linear(cfg.n_heads * cfg.head_dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, cache: KVCache | None = None, pos: int = 0):
        B, T, _ = x.shape
        if torch.is_grad_enabled():
            # Training: one GEMM for q, k and v (the weights stay separate so the names match HF's); the
            # concatenation is paid once per step for a whole batch of tokens.
            w = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
            q, k, v = F.linear(x, w).split([self.nh * self.hd, self.nkv * self.hd, self.nkv * self.hd], dim=-1)
        else:  # inference (eval, generate: a token at a time): no weight copy per call
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = q.view(B, T, self.nh, self.hd).transpose(1, 2)  # (B, nh, T, hd)
        k = k.view(B, T, self.nkv, self.hd).transpose(1, 2)  # (B, nkv, T, hd)
        v = v.view(B, T, self.nkv, self.hd).transpose(1, 2)
        cos, sin = (
            cos.to(q.dtype),
            sin.to(q.dtype),
        )  # as HF: RoPE in the activation dtype (bf16 under autocast)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = cache.update(self.layer, pos, k, v)  # (B, nkv, pos + T, hd)
        mask, causal = None, T > 1
        if causal and pos > 0:  # chunked prefill: causal within the chunk, full view of the cached past
            mask = torch.ones(T, pos + T, dtype=torch.bool, device=x.device).tril(diagonal=pos)
            causal = False
        # enable_gqa lets SDPA broadcast the nkv heads instead of materialising repeat_kv copies.
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=causal, enable_gqa=self.nkv != self.nh
        )
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.nh * self.hd))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.up_proj = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.down_proj = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        if torch.is_grad_enabled():  # training: one GEMM (see Attention.forward)
            gate, up = F.linear(x, torch.cat([self.gate_proj.weight, self.up_proj.weight])).chunk(2, dim=-1)
        else:
            gate, up = self.gate_proj(x), self.up_proj(x)
        return self.down_proj(F.silu(gate) * up)  # SwiGLU


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.self_attn = Attention(cfg, layer)
        self.post_attention_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, cache=None, pos=0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, pos)
        return x + self.mlp(self.post_attention_layernorm(x))


class ChunkedHeadLoss(torch.autograd.Function):
    """Mean cross-entropy of (x @ w.T) against targets, computed CHUNK rows at a time, with its gradients.

    The (B*T, V) logits (512 MB at 2,048 tokens x 65,536 vocab in fp32) never exist at once: each chunk's
    logits turn into softmax - onehot in place and go straight into grad_x and grad_w. Same FLOPs as the
    plain head + F.cross_entropy, but the peak memory no longer grows with B * T * V and no 512 MB buffers
    are allocated and zeroed every step. Gradients are computed in forward, so it is used only when
    training on CPU (grad enabled, targets given); on GPU the plain path runs under bf16 autocast.
    """

    CHUNK = 256

    @staticmethod
    def forward(ctx, x, w, targets):  # x (N, d), w (V, d), targets (N,) with -100 = ignore
        keep = targets != -100
        count = keep.sum().clamp(min=1)
        safe = targets.clamp(min=0)
        grad_x, grad_w = torch.empty_like(x), torch.zeros_like(w)
        loss = torch.zeros((), dtype=torch.float32, device=x.device)
        for s in range(0, x.shape[0], ChunkedHeadLoss.CHUNK):
            rows = slice(s, s + ChunkedHeadLoss.CHUNK)
            xs, ts, ks = x[rows], safe[rows], keep[rows]
            logits = (xs @ w.t()).float()  # (n, V)
            lse = logits.logsumexp(dim=-1)
            loss += ((lse - logits.gather(1, ts[:, None]).squeeze(1)) * ks).sum()
            probs = logits.sub_(lse[:, None]).exp_()  # softmax, in place
            probs[torch.arange(len(ts), device=x.device), ts] -= 1.0  # d loss / d logits = softmax - onehot
            if not bool(ks.all()):
                probs *= ks[:, None]
            probs = probs.to(x.dtype)
            grad_x[rows] = probs @ w
            grad_w.addmm_(probs.t(), xs)
        ctx.save_for_backward(grad_x / count, grad_w / count)
        return loss / count

    @staticmethod
    def backward(ctx, grad_loss):
        grad_x, grad_w = ctx.saved_tensors
        return grad_x * grad_loss, grad_w * grad_loss, None


class Backbone(nn.Module):
    """Named like HF's `LlamaModel` so the state dict keys carry the `model.` prefix."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList([Block(cfg, i) for i in range(cfg.n_layers)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)


class ReferenceLM(nn.Module):
    """Llama-style causal LM; `state_dict()` keys equal `LlamaForCausalLM`'s."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        self.lm_head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        cos, sin = rope_table(cfg)
        self.register_buffer("rope_cos", cos, persistent=False)  # not in the state dict
        self.register_buffer("rope_sin", sin, persistent=False)
        if not any(p.is_meta for p in self.parameters()):
            self.reset_parameters()

    def reset_parameters(self):
        std = self.cfg.init_std
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)  # norm gains
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, std=std / math.sqrt(2 * self.cfg.n_layers))  # GPT-2 residual scaling
            else:
                nn.init.normal_(p, std=std)

    def num_params(self) -> int:
        """Unique parameters (a tied embedding counts once)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, targets=None, cache: KVCache | None = None, pos: int = 0):
        """idx: (B, T) token ids at positions [pos, pos + T). Returns (logits (B, T, V), mean loss or None).

        When training on CPU with targets, logits is None (see ChunkedHeadLoss).

        With targets (B, T) (ignore_index -100) the loss is next-token cross-entropy already aligned
        by the caller (targets = idx shifted by one), as in nanoGPT.
        """
        B, T = idx.shape
        if pos + T > self.cfg.max_seq_len:
            raise ValueError(f"sequence of {pos + T} tokens exceeds max_seq_len {self.cfg.max_seq_len}")
        cos, sin = self.rope_cos[pos : pos + T], self.rope_sin[pos : pos + T]
        x = self.model.embed_tokens(idx)  # (B, T, dim)
        for block in self.model.layers:
            x = block(x, cos, sin, cache, pos)
        x = self.model.norm(x)
        if targets is not None and torch.is_grad_enabled() and x.device.type == "cpu":
            # CPU training: the head + loss chunk by chunk (ChunkedHeadLoss); the logits are not returned.
            return None, ChunkedHeadLoss.apply(
                x.reshape(B * T, -1), self.lm_head.weight, targets.reshape(B * T)
            )
        logits = self.lm_head(x)  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.float().view(B * T, -1), targets.reshape(B * T), ignore_index=-100)
        return logits, loss

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token: 6 * N (matmul params, embedding table excluded) + attention 12 * L * hd * nh * T.

        The PaLM appendix B formula that nanoGPT's `estimate_mfu` uses; the output head counts once.
        """
        c = self.cfg
        n = self.num_params() - (0 if c.tie_embeddings else c.vocab_size * c.dim)
        return 6 * n + 12 * c.n_layers * c.n_heads * c.head_dim * seq_len

    @torch.no_grad()
    def generate(
        self,
        idx,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        eos_id: int | None = None,
        generator: torch.Generator | None = None,
    ):
        """Extend idx (B, T) by up to max_new_tokens; temperature 0 = greedy. Uses a KV cache.

        Args:
            idx: prompt token ids (B, T).
            max_new_tokens: tokens to add.
            temperature: softmax temperature; 0 picks the argmax.
            top_p: nucleus sampling: sample among the smallest set of tokens whose probability sums to top_p.
            eos_id: stop once every row has produced it (rows that finished keep emitting eos).
            generator: torch.Generator for reproducible sampling.

        Returns:
            (B, T + n) token ids, n <= max_new_tokens.
        """
        B, T = idx.shape
        total = min(T + max_new_tokens, self.cfg.max_seq_len)
        dtype = next(self.parameters()).dtype
        cache = KVCache(self.cfg, B, total, device=idx.device, dtype=dtype)
        logits, _ = self(idx, cache=cache, pos=0)  # prefill
        done = torch.zeros(B, dtype=torch.bool, device=idx.device)
        for pos in range(T, total):
            nxt = sample_next(logits[:, -1, :].float(), temperature, top_p, generator)
            if eos_id is not None:
                nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
                done |= nxt == eos_id
            idx = torch.cat([idx, nxt[:, None]], dim=1)
            if bool(done.all()) or pos + 1 >= total:
                break
            logits, _ = self(nxt[:, None], cache=cache, pos=pos)  # one token, attends to the cache
        return idx


def sample_next(logits, temperature: float, top_p: float, generator=None):
    """logits (B, V) -> next ids (B,): greedy at temperature 0, else temperature + nucleus (top-p) sampling."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    probs = F.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        # drop a token when the mass before it already reaches top_p (the top token always stays)
        drop = sorted_p.cumsum(dim=-1) - sorted_p >= top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
