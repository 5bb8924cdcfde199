#!/usr/bin/env python3
"""Decoder fixtures for NMPRuntimeTests: three tiny, seeded BitNet b1.58 style decoders, their
tensors named as Hugging Face checkpoints name them, a prompt, and the float32 logits of a plain
NumPy re-implementation of Hugging Face transformers' modeling code at every prompt position;
plus a study that derives the tolerance the chip's logits are held to.

How to run (from this folder; needs only python3 and numpy; about 70 s on one core, nearly all
of it the tolerance study's exhaustive flip scan):

    python3 make_decoder_fixtures.py            # writes the three model folders and README.md
    python3 make_decoder_fixtures.py --check    # writes nothing: recomputes and fails unless the
                                                # committed fixture files are byte-identical

The committed files came from numpy 2.4.6 (CPython 3.11.7, x86_64). Seed: SEED = 20250415;
model i (0, 1, 2 in MODELS order) draws everything from np.random.default_rng(SEED + i), in
make_weights' order, then the prompt. The fixture arithmetic (below) uses no BLAS and no
float32 transcendental ufunc, so the fixture bytes do not depend on the machine's BLAS or SIMD
level; some perturbations of the tolerance study do, so a few README numbers can move elsewhere.

Files written, per model folder <name>/ (arrays little-endian, C order, .npy format 1.0;
L = 0 .. num_hidden_layers - 1):
  config.json                       HF style config (see full_config).
  model.embed_tokens.weight.npy     float32 [vocab, hidden], bf16-representable; also the LM
                                    head when tie_word_embeddings.
  model.layers.L.input_layernorm.weight.npy            float32 [hidden], bf16-representable.
  model.layers.L.self_attn.{q,k,v,o}_proj.weight.npy   int8 [out, in]: trits in {-1, 0, 1}
                                                       (torch nn.Linear layout, out x in).
  model.layers.L.self_attn.{q,k,v,o}_proj.weight_scale.npy
                                    float32 [1]: offline AutoBitLinear `weight_scale`, which
                                    multiplies the projection's output.
  model.layers.L.self_attn.attn_sub_norm.weight.npy    float32 [hidden].
  model.layers.L.post_attention_layernorm.weight.npy   float32 [hidden].
  model.layers.L.mlp.{gate,up,down}_proj.weight.npy    int8 trits [out, in] (+ .weight_scale.npy).
  model.layers.L.mlp.ffn_sub_norm.weight.npy           float32 [intermediate].
  model.norm.weight.npy             float32 [hidden].
  lm_head.weight.npy                float32 [vocab, hidden], bf16-representable; only when
                                    tie_word_embeddings is false.
  prompt_ids.npy                    int32 [N]: token ids at positions 0..N-1.
  logits.npy                        float32 [N, vocab]: logits at every prompt position (causal
                                    attention, no past).
  hidden_last.npy                   float32 [N, hidden]: output of the final norm (model.norm),
                                    the LM head's input.
  tolerance.json                    the proposed tolerance for this model (see README.md).
and README.md beside this script: the models, the files, the tolerance and the study behind
it, with the numbers of the run that wrote it.

Sources (read at these places; the forward pass follows them operation by operation):
- huggingface/transformers, src/transformers/models/bitnet/modeling_bitnet.py: BitNetRMSNorm
  (variance = x.pow(2).mean(-1); x * torch.rsqrt(variance + eps); weight * x), BitNetMLP
  (down_proj(ffn_sub_norm(act_fn(gate_proj(x)) * up_proj(x)))), rotate_half,
  apply_rotary_pos_emb (q * cos + rotate_half(q) * sin), repeat_kv (expand + reshape: KV head
  h serves query heads h*g ..< (h+1)*g), eager_attention_forward (matmul(q, k^T) * scaling, +
  causal mask, softmax(dim=-1, dtype=float32), matmul with v), BitNetAttention (scaling =
  head_dim**-0.5; attn_sub_norm over the concatenated heads before o_proj), BitNetDecoderLayer
  (pre-norm residual blocks), BitNetRotaryEmbedding.forward (freqs = inv_freq @ positions in
  float32, emb = cat(freqs, freqs), cos/sin times attention_scaling = 1.0), BitNetModel (final
  norm), BitNetForCausalLM (lm_head, tied to embed_tokens when tie_word_embeddings).
- huggingface/transformers, src/transformers/integrations/bitnet.py: AutoBitLinear.forward with
  online_quant=False (the 2B-4T config's quantization_config: linear_class "autobitlinear",
  quantization_mode "offline"): weight = the unpacked trits; input = ActQuant.apply(input);
  output = F.linear(input, weight) * weight_scale. ActQuant.forward:
  s = 127 / x.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5);
  x = (x * s).round().clamp(-128, 127) / s. (WeightQuant is not used: offline weights are trits.)
- huggingface/transformers, src/transformers/modeling_rope_utils.py,
  _compute_default_rope_parameters: inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2,
  dtype=torch.int64).float() / dim)), dim = getattr(config, "head_dim", hidden // heads) (older
  versions use hidden // heads; the two agree for all three models), attention_factor 1.0.
- huggingface/transformers, src/transformers/activations.py: "relu2" is ReLUSquaredActivation,
  torch.square(nn.functional.relu(x)); "silu" is nn.SiLU.
- pytorch/pytorch, torch/_tensor.py, Tensor.__rdiv__: `number / tensor` is
  `tensor.reciprocal() * number`, so ActQuant's `127 / m` is fl(fl(1/m) * 127) and RoPE's
  `1.0 / p` is fl(1/p) (the product with 1.0 is exact).
- pytorch/pytorch, aten/src/ATen/native/cpu/SoftMaxKernel.cpp, _vec_softmax_lastdim (float):
  max, exp(x - max), sum, tmp_sum = 1 / tmp_sum, x * tmp_sum. Also (torch CPU kernels, from
  memory of the ATen sources, not re-read here): silu is x / (1 + exp(-x)); rsqrt is 1 / sqrt(x)
  with a correctly rounded sqrt; Tensor.mean is a sum divided by the count; a Python float
  scalar is rounded to float32 before it multiplies a float32 tensor; torch.round is half to
  even (np.rint).

Arithmetic of the fixtures ("baseline"): every array is float32 and every elementwise operation
one IEEE binary32 operation, correctly rounded, in the eager PyTorch order above. Where torch
leaves an implementation choice, this script fixes one, documented and reproducible:
- Sums (dot products of the LM head, q.k^T, p.v; the sum of squares of RMSNorm; the softmax
  denominator) are accumulated in float32 sequentially, index 0 first, each product rounded
  before it is added (no fused multiply-add). torch uses other (vectorized, cascaded or BLAS)
  orders; the tolerance study measures what the order changes.
- exp, cos, sin and pow are evaluated in float64 and rounded once to float32 (the correctly
  rounded float32 results but in astronomically rare cases). torch uses SLEEF or libm float32
  routines within about 1 ulp; the study measures that too.
Deviations from HF, and why:
- BitLinear order: HF's ActQuant returns codes / s, F.linear sums the float products, then the
  output is multiplied by weight_scale. These fixtures compute what the chip computes: the exact
  integer sum codes . trits (int64; |sum| <= 127 * 72 < 2^24, so its float32 is exact), divided
  by s, then multiplied by weight_scale: y = fl(fl(float(acc) / s) * weight_scale), which is also
  microsoft/BitNet's int8 x int2 kernel epilogue and nmp's BitNetReference.dequantize. The two
  orders differ by float rounding only (a few ulp of each output); the study includes HF's order
  as a perturbation ("hf-order"), and the tolerance covers it.
- The causal mask: HF adds torch.finfo(float32).min to the masked scores; here they are -inf.
  Both give exp(...) = 0 exactly, so the results are identical.
- Eager attention (eager_attention_forward), not HF's default sdpa.
- bf16: the 2B-4T checkpoint runs in bfloat16; these fixtures are the float32 eager semantics
  with bf16-representable parameters (embeddings, norms, LM head, weight scales), so loading
  them as bf16 or float32 gives the same values.
- The LLaMA-style model (model_type "llama", hidden_act "silu") uses BitNet's module structure
  and tensor names, SubLN sub-norms included (as the 1bitLLM b1.58 reproductions do, whose own
  modeling file names them inner_attn_ln / ffn_layernorm); only the activation and RoPE theta
  differ. HF's LlamaForCausalLM has no sub-norms: this model is not a stock Llama.

Parameter choices (make_weights): embeddings and untied LM heads N(0, 1) * 0.5 rounded to bf16;
norm weights uniform in [0.5, 1.5) rounded to bf16; trits -1, 0, +1 with probabilities 0.3,
0.4, 0.3; weight_scale rounded to bf16, uniform in [0.02, 0.1) (an absmean gamma's size) for
v_proj, o_proj and down_proj, but in [0.2, 0.5) for q_proj, k_proj, gate_proj and up_proj.
Those four stand in for width: a tiny layer's dot products are about sqrt(2560 / in_features)
~ 8x smaller than a 2560-wide layer's, and with gamma-sized scales everywhere the attention
scores of a row stay within about 1 of each other (a nearly uniform softmax, which hides RoPE,
mask and head-order mistakes) and the variance of act(gate) * up comes down to about eps (the
FFN sub-norm would hardly normalize). README.md gives the measured numbers. Prompts: uniform ids, with id 0, id vocab-1 and one
repeated id placed in each.

The tolerance study (every run; results in README.md): (1) the forward pass recomputed with
perturbed but legitimate float32 arithmetic (other summation orders, float64 accumulation, a
64-lane fused-multiply-add order like the chip's, numpy's BLAS and float32 transcendentals, exp
off by up to 2 ulp, HF's BitLinear order, softmax by division, all at once), with the max
|delta logit|, the code flips and the drift of the quantizer inputs; (2) how close the codes
come to a rounding boundary; (3) every activation code flipped alone to its other neighbour,
the pass recomputed (cascade included); (4) simulated chips whose quantizer inputs carry
relative noise of 1e-6, 1e-5 and 1e-4; (5) deliberate mistakes, to show what the tolerance still
catches; (6) a separately written HF-shaped implementation (batch and head axes as in torch,
repeat_kv by expand/reshape, the additive finfo.min mask, HF's BitLinear order, numpy matmul)
in float32 and float64 as a cross-check. torch was not installed (on Linux, PyPI's torch wheel
depends on the CUDA runtime packages, gigabytes of downloads). The tolerance is SAFETY (2) x
the worst of (3) and (4), per model, for the max and the rms of the logit differences.
"""
import argparse
import hashlib
import io
import json
import math
import os
import sys

import numpy as np

F32 = np.float32
F64 = np.float64
SEED = 20250415
HERE = os.path.dirname(os.path.abspath(__file__))

MODELS = [
    dict(name="bitnet-2l-gqa", prompt_len=13, config=dict(
        model_type="bitnet", architectures=["BitNetForCausalLM"], hidden_act="relu2",
        num_hidden_layers=2, hidden_size=40, intermediate_size=72, num_attention_heads=4,
        num_key_value_heads=2, head_dim=10, vocab_size=97, rope_theta=500000.0, rms_norm_eps=1e-05,
        tie_word_embeddings=True, max_position_embeddings=64)),
    dict(name="bitnet-3l-mqa", prompt_len=40, config=dict(
        model_type="bitnet", architectures=["BitNetForCausalLM"], hidden_act="relu2",
        num_hidden_layers=3, hidden_size=24, intermediate_size=50, num_attention_heads=6,
        num_key_value_heads=1, head_dim=4, vocab_size=61, rope_theta=500000.0, rms_norm_eps=1e-05,
        tie_word_embeddings=False, max_position_embeddings=80)),
    dict(name="llama-1l-silu", prompt_len=9, config=dict(
        model_type="llama", architectures=["BitnetForCausalLM"], hidden_act="silu",
        num_hidden_layers=1, hidden_size=36, intermediate_size=66, num_attention_heads=3,
        num_key_value_heads=3, head_dim=12, vocab_size=53, rope_theta=10000.0, rms_norm_eps=1e-05,
        tie_word_embeddings=False, max_position_embeddings=32)),
]

ATTN_PROJ = ["q_proj", "k_proj", "v_proj", "o_proj"]
# Projections whose weight_scale is drawn from [0.2, 0.5) instead of [0.02, 0.1): see
# "Parameter choices" in the docstring.
WIDE_SCALED = ("q_proj", "k_proj", "gate_proj", "up_proj")
MLP_PROJ = ["gate_proj", "up_proj", "down_proj"]


# ---------------------------------------------------------------------------------------------
# Weights


def to_bf16(x):
    """Round float32 values to the nearest bfloat16 (ties to even), returned as float32."""
    x = np.ascontiguousarray(x, dtype=F32)
    assert np.all(np.isfinite(x))
    u = x.view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(F32)


def full_config(model):
    c = dict(model["config"])
    c.update(attention_bias=False, attention_dropout=0.0, initializer_range=0.02, rope_scaling=None,
             torch_dtype="float32", use_cache=True)
    if c["model_type"] == "bitnet":
        c["quantization_config"] = dict(quant_method="bitnet", linear_class="autobitlinear",
                                        quantization_mode="offline")
    return c


def make_weights(cfg, rng):
    """Every tensor of the checkpoint, by its HF name (without .npy)."""
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    W = {}

    def trits(out, inp):
        return rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(out, inp), p=[0.3, 0.4, 0.3])

    def scale(name):
        low, high = (0.2, 0.5) if name in WIDE_SCALED else (0.02, 0.1)
        return to_bf16(np.array([rng.uniform(low, high)], dtype=F64).astype(F32))

    def norm(n):
        return to_bf16(rng.uniform(0.5, 1.5, size=n).astype(F32))

    W["model.embed_tokens.weight"] = to_bf16((rng.standard_normal((V, H)) * 0.5).astype(F32))
    shapes = dict(q_proj=(nh * D, H), k_proj=(nkv * D, H), v_proj=(nkv * D, H), o_proj=(H, nh * D),
                  gate_proj=(I, H), up_proj=(I, H), down_proj=(H, I))
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        W[p + "input_layernorm.weight"] = norm(H)
        for name in ATTN_PROJ:
            W[p + f"self_attn.{name}.weight"] = trits(*shapes[name])
            W[p + f"self_attn.{name}.weight_scale"] = scale(name)
        W[p + "self_attn.attn_sub_norm.weight"] = norm(H)
        W[p + "post_attention_layernorm.weight"] = norm(H)
        for name in MLP_PROJ:
            W[p + f"mlp.{name}.weight"] = trits(*shapes[name])
            W[p + f"mlp.{name}.weight_scale"] = scale(name)
        W[p + "mlp.ffn_sub_norm.weight"] = norm(I)
    W["model.norm.weight"] = norm(H)
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = to_bf16((rng.standard_normal((V, H)) * 0.5).astype(F32))
    return W


def make_prompt(V, N, rng):
    ids = rng.integers(0, V, size=N).astype(np.int32)
    ids[1] = 0          # first and last rows of the embedding / LM head
    ids[N // 2] = V - 1
    ids[-1] = ids[2]    # a repeated token at another position
    return ids


# ---------------------------------------------------------------------------------------------
# Arithmetic: the fixture's (baseline) and the perturbed variants of the tolerance study


class Arith:
    """How float32 reductions, transcendentals and a few orderings are computed.

    sums:   "seq" (baseline: sequential float32, index 0 first), "reverse", "pairwise" (adjacent
            pairs, tree), "f64" (accumulated in float64, rounded once), "lanes64" (64 lanes,
            lane k % 64 accumulates with a fused multiply-add, then a halving tree over the
            lanes: the chip's shape), "numpy" (np.matmul / np.sum in float32: BLAS and numpy's
            pairwise sum).
    transc: "f64" (baseline: float64 then rounded) or "f32" (numpy's float32 ufuncs).
    exp_ulps: exp results moved by a random integer number of ulps in [-k, k] (seeded).
    rsqrt:  "div" (baseline: 1 / sqrt(x) in float32) or "f64" (float64 1/sqrt, rounded once).
    act_scale: "recip" (baseline: fl(fl(1/m) * 127), torch's 127 / t) or "div" (fl(127 / m)).
    linear: "chip" (baseline: exact integer sum, / s, * weight_scale) or "hf" (codes / s, float
            sum with `sums`, * weight_scale: HF's ActQuant + F.linear order).
    softmax: "recip" (baseline: e * (1 / sum), torch's CPU kernel) or "div" (e / sum).
    """

    def __init__(self, name, sums="seq", transc="f64", exp_ulps=0, rsqrt="div", act_scale="recip",
                 linear="chip", softmax="recip", act_noise=0.0, seed=0):
        self.name, self.sums, self.transc, self.exp_ulps = name, sums, transc, exp_ulps
        self.act_noise = act_noise
        self.rsqrt_mode, self.act_scale, self.linear, self.softmax = rsqrt, act_scale, linear, softmax
        self.rng = np.random.default_rng(seed)

    # Reductions over the last axis of broadcast(a, b): sum_k a[..., k] * b[..., k].
    def sumprod(self, a, b):
        a, b = np.broadcast_arrays(np.asarray(a, F32), np.asarray(b, F32))
        K = a.shape[-1]
        mode = self.sums
        if mode == "f64":
            return (a.astype(F64) * b.astype(F64)).sum(-1).astype(F32)
        if mode == "lanes64":
            lanes = np.zeros(a.shape[:-1] + (64,), F32)
            for k in range(K):
                l = k % 64
                exact = a[..., k].astype(F64) * b[..., k].astype(F64)  # exact (24 + 24 bits)
                lanes[..., l] = (exact + lanes[..., l].astype(F64)).astype(F32)  # fma, one rounding*
            n = 64
            while n > 1:
                n //= 2
                lanes = lanes[..., :n] + lanes[..., n:2 * n]
            return lanes[..., 0]
        p = a * b  # float32 products, each rounded
        if mode == "numpy":
            return p.sum(-1, dtype=F32)
        if mode in ("seq", "reverse"):
            order = range(K) if mode == "seq" else range(K - 1, -1, -1)
            acc = None
            for k in order:
                acc = p[..., k].copy() if acc is None else acc + p[..., k]
            return acc
        if mode == "pairwise":
            while p.shape[-1] > 1:
                n = p.shape[-1]
                head = p[..., 0:n - n % 2:2] + p[..., 1:n - n % 2:2]
                p = np.concatenate([head, p[..., n - 1:]], axis=-1) if n % 2 else head
            return p[..., 0]
        raise ValueError(mode)
    # (*) the float64 sum of the exact product and the lane can round before the float32
    # rounding (double rounding); that differs from a true fma in rare last-bit cases, which is
    # as legitimate a perturbation as the fma itself.

    def matmul(self, a, b):
        """a [..., M, K] @ b [..., K, N] in float32 with this summation order."""
        if self.sums == "numpy":
            return np.matmul(np.asarray(a, F32), np.asarray(b, F32))
        return self.sumprod(np.expand_dims(a, -2), np.expand_dims(np.swapaxes(b, -1, -2), -3))

    def rowsum(self, x):
        return self.sumprod(x, np.ones_like(x, dtype=F32))

    def _unary(self, f, x):
        x = np.asarray(x, F32)
        with np.errstate(over="ignore"):   # exp overflowing to inf is the float32 result
            return f(x) if self.transc == "f32" else f(x.astype(F64)).astype(F32)

    def exp(self, x):
        y = self._unary(np.exp, x)
        if self.exp_ulps:
            bits = y.view(np.int32).copy()
            ok = np.isfinite(y) & (y > 0)
            bits[ok] += self.rng.integers(-self.exp_ulps, self.exp_ulps + 1, size=int(ok.sum())).astype(np.int32)
            y = np.maximum(bits, 0).view(F32)   # never below +0 (only reachable for subnormals)
        return y

    def cos(self, x):
        return self._unary(np.cos, x)

    def sin(self, x):
        return self._unary(np.sin, x)

    def pow(self, base, e):
        if self.transc == "f32":
            return np.power(F32(base), np.asarray(e, F32))
        return np.power(F64(F32(base)), np.asarray(e, F32).astype(F64)).astype(F32)

    def rsqrt(self, v):
        if self.rsqrt_mode == "f64":
            return (1.0 / np.sqrt(v.astype(F64))).astype(F32)
        return F32(1) / np.sqrt(v)  # float32 sqrt is correctly rounded (IEEE), then a division


BASELINE = Arith("fixture")


# ---------------------------------------------------------------------------------------------
# The forward pass (HF operation by operation; see the docstring)


def forward(W, cfg, ids, ar=BASELINE, flip=None, record=None, bug=None):
    """Logits [N, vocab] and final-norm output [N, hidden] for prompt `ids` at positions 0..N-1.

    flip=(quantization, token, feature, delta) moves one int8 activation code of the given
    activation quantization (4 per layer, in order: the q/k/v input, the o_proj input, the
    gate/up input, the down_proj input) by delta: the tolerance study's single flips. record,
    a list, receives (group name, codes, x * s) per quantization. bug names a deliberate
    mistake of the study's "what real errors cost" table (never set for the fixtures).
    """
    nh, nkv, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = F32(cfg["rms_norm_eps"])
    T = len(ids)
    calls = [0]

    def rmsnorm(x, w):
        variance = ar.sumprod(x, x) / F32(x.shape[-1])   # x.pow(2).mean(-1): sum, then / n
        return w * (x * ar.rsqrt(variance + eps)[..., None])

    def quantize(group, x):
        """ActQuant of one input per token. q/k/v (and gate/up) share one: HF's separate
        ActQuant calls on the same input give the same codes."""
        if ar.act_noise:   # a "chip" whose every quantizer input is off by a relative +-act_noise
            x = (x * (1 + ar.act_noise * ar.rng.uniform(-1, 1, size=x.shape))).astype(F32)
        m = np.maximum(np.max(np.abs(x), axis=-1, keepdims=True), F32(1e-5))
        if bug == "act-absmax-per-tensor":
            m = np.broadcast_to(m.max(), m.shape)
        s = (F32(1) / m) * F32(127) if ar.act_scale == "recip" else F32(127) / m
        v = x * s
        if bug == "round-half-away-from-zero":
            codes = np.clip(np.sign(v) * np.floor(np.abs(v) + F32(0.5)), F32(-128), F32(127))
        else:
            codes = np.clip(np.rint(v), F32(-128), F32(127))   # round half to even, clamp
        if flip is not None and flip[0] == calls[0]:
            codes[flip[1], flip[2]] = np.clip(codes[flip[1], flip[2]] + flip[3], -128, 127)
        if record is not None:
            record.append((group, codes.astype(np.int8), v))
        calls[0] += 1
        return codes, s

    def bitlinear(name, q):
        codes, s = q
        trits = W[name + ".weight"]
        ws = W[name + ".weight_scale"][0]
        if ar.linear == "chip":
            acc = codes.astype(np.int64) @ trits.astype(np.int64).T          # exact
            assert np.abs(acc).max() < 2 ** 24
            return (acc.astype(F32) / s) * ws
        xq = codes / s                                                         # ActQuant's output
        return ar.matmul(xq, trits.astype(F32).T) * ws                         # F.linear * scale

    def subnorm(x, w):
        return x if bug == "no-sub-norms" else rmsnorm(x, w)

    # RoPE tables (BitNetRotaryEmbedding; default rope type, attention_scaling 1.0)
    exponent = np.arange(0, D, 2, dtype=np.int64).astype(F32) / F32(D)
    inv_freq = F32(1) / ar.pow(cfg["rope_theta"], exponent)
    positions = np.arange(T, dtype=np.int64) + (1 if bug == "rope-positions-from-1" else 0)
    freqs = positions.astype(F32)[:, None] * inv_freq[None, :]
    if bug == "rope-interleaved-pairs":
        emb = np.repeat(freqs, 2, axis=-1)
    else:
        emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = ar.cos(emb), ar.sin(emb)                                        # [T, D]

    def rope(x):                                                               # x [heads, T, D]
        if bug == "no-rope":
            return x
        if bug == "rope-interleaved-pairs":                                    # GPT-J style
            rot = np.stack([-x[..., 1::2], x[..., 0::2]], axis=-1).reshape(x.shape)
        else:
            rot = np.concatenate([-x[..., D // 2:], x[..., :D // 2]], axis=-1)  # rotate_half
        return (x * cos) + (rot * sin)

    causal = np.tril(np.ones((T, T), dtype=bool)) | (bug == "no-causal-mask")
    g = nh // nkv
    scaling = F32(1) if bug == "no-score-scaling" else F32(D ** -0.5)
    x = W["model.embed_tokens.weight"][ids]
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        h = rmsnorm(x, W[p + "input_layernorm.weight"])
        hq = quantize(p + "self_attn.{q,k,v}_proj", h)
        q = bitlinear(p + "self_attn.q_proj", hq).reshape(T, nh, D).transpose(1, 0, 2)
        k = bitlinear(p + "self_attn.k_proj", hq).reshape(T, nkv, D).transpose(1, 0, 2)
        v = bitlinear(p + "self_attn.v_proj", hq).reshape(T, nkv, D).transpose(1, 0, 2)
        q, k = rope(q), rope(k)
        if bug == "kv-heads-tiled":                                            # h % nkv, wrong
            k, v = np.tile(k, (g, 1, 1)), np.tile(v, (g, 1, 1))
        else:
            k, v = np.repeat(k, g, axis=0), np.repeat(v, g, axis=0)            # repeat_kv order
        scores = ar.matmul(q, np.swapaxes(k, -1, -2)) * scaling
        scores = np.where(causal, scores, F32(-np.inf))
        e = ar.exp(scores - scores.max(axis=-1, keepdims=True))
        total = ar.rowsum(e)[..., None]
        probs = e * (F32(1) / total) if ar.softmax == "recip" else e / total
        attn = ar.matmul(probs, v).transpose(1, 0, 2).reshape(T, nh * D)
        attn = subnorm(attn, W[p + "self_attn.attn_sub_norm.weight"])
        x = x + bitlinear(p + "self_attn.o_proj", quantize(p + "self_attn.o_proj", attn))
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"])
        hq = quantize(p + "mlp.{gate,up}_proj", h)
        gate = bitlinear(p + "mlp.gate_proj", hq)
        up = bitlinear(p + "mlp.up_proj", hq)
        if cfg["hidden_act"] == "relu2":
            r = np.maximum(gate, F32(0))
            act = r * r                                                        # square(relu(x))
        elif cfg["hidden_act"] == "silu":
            act = gate / (F32(1) + ar.exp(-gate))                              # torch's CPU silu
        else:
            raise ValueError(cfg["hidden_act"])
        m = subnorm(act * up, W[p + "mlp.ffn_sub_norm.weight"])
        x = x + bitlinear(p + "mlp.down_proj", quantize(p + "mlp.down_proj", m))
    hidden = rmsnorm(x, W["model.norm.weight"])
    lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    logits = ar.matmul(hidden, lm.T)
    for a in (logits, hidden):
        assert a.dtype == F32 and np.all(np.isfinite(a))
    return logits, hidden


# ---------------------------------------------------------------------------------------------
# An independent implementation, shaped like the HF/torch code, for the cross-check


def hf_shaped_forward(W, cfg, ids, dtype):
    """Written separately from `forward`: [batch, heads, T, D] tensors, repeat_kv by
    broadcast + reshape, the additive finfo.min causal mask, HF's BitLinear order (codes / s,
    then a float matmul), numpy's matmul, mean, exp, cos and power in `dtype` throughout."""
    t = lambda a: np.asarray(a).astype(dtype)
    H, V = cfg["hidden_size"], cfg["vocab_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim", H // nh)
    eps = cfg["rms_norm_eps"]
    B, S = 1, len(ids)
    codes_seen = []

    def rms(h, w):
        var = np.mean(h ** 2, axis=-1, keepdims=True)
        return t(w) * (h * (t(1.0) / np.sqrt(var + t(eps))))

    def linear(name, x):
        s = t(127) * (t(1.0) / np.clip(np.abs(x).max(axis=-1, keepdims=True), t(1e-5), None))
        c = np.clip(np.round(x * s), -128, 127)
        if name.endswith(("q_proj", "o_proj", "gate_proj", "down_proj")):   # one per distinct input
            codes_seen.append(c.astype(np.int8))
        y = (c / s) @ t(W[name + ".weight"]).T
        return y * t(W[name + ".weight_scale"])

    hs = t(W["model.embed_tokens.weight"])[np.asarray(ids)][None]             # [1, S, H]
    pos = np.arange(S)[None]
    inv_freq = t(1.0) / (t(cfg["rope_theta"]) ** (np.arange(0, D, 2, dtype=np.int64).astype(dtype) / t(D)))
    fr = np.matmul(inv_freq[None, :, None], pos[:, None, :].astype(dtype)).transpose(0, 2, 1)
    em = np.concatenate((fr, fr), axis=-1)
    cos, sin = np.cos(em)[:, None], np.sin(em)[:, None]                        # unsqueeze(1)
    mask = np.triu(np.full((S, S), np.finfo(dtype).min, dtype=dtype), k=1)[None, None]

    def rot_half(a):
        return np.concatenate((-a[..., a.shape[-1] // 2:], a[..., :a.shape[-1] // 2]), axis=-1)

    def rep(a, n):
        b_, kv, s_, d_ = a.shape
        return np.broadcast_to(a[:, :, None], (b_, kv, n, s_, d_)).reshape(b_, kv * n, s_, d_)

    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        res = hs
        hs = rms(hs, W[p + "input_layernorm.weight"])
        qs = linear(p + "self_attn.q_proj", hs).reshape(B, S, -1, D).transpose(0, 2, 1, 3)
        ks = linear(p + "self_attn.k_proj", hs).reshape(B, S, -1, D).transpose(0, 2, 1, 3)
        vs = linear(p + "self_attn.v_proj", hs).reshape(B, S, -1, D).transpose(0, 2, 1, 3)
        qs, ks = qs * cos + rot_half(qs) * sin, ks * cos + rot_half(ks) * sin
        ks, vs = rep(ks, nh // nkv), rep(vs, nh // nkv)
        w = np.matmul(qs, ks.transpose(0, 1, 3, 2)) * t(D ** -0.5) + mask
        w = np.exp(w - w.max(axis=-1, keepdims=True))
        w = w / w.sum(axis=-1, keepdims=True)
        o = np.matmul(w, vs).transpose(0, 2, 1, 3).reshape(B, S, -1)
        o = linear(p + "self_attn.o_proj", rms(o, W[p + "self_attn.attn_sub_norm.weight"]))
        hs = res + o
        res = hs
        hs = rms(hs, W[p + "post_attention_layernorm.weight"])
        gt, up = linear(p + "mlp.gate_proj", hs), linear(p + "mlp.up_proj", hs)
        a = np.square(np.maximum(gt, 0)) if cfg["hidden_act"] == "relu2" else gt / (1 + np.exp(-gt))
        hs = res + linear(p + "mlp.down_proj", rms(a * up, W[p + "mlp.ffn_sub_norm.weight"]))
    hs = rms(hs, W["model.norm.weight"])
    lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return (hs @ t(lm).T)[0], hs[0], codes_seen


# ---------------------------------------------------------------------------------------------
# Tolerance study


PERTURBATIONS = [
    Arith("sum-reverse", sums="reverse"),
    Arith("sum-pairwise", sums="pairwise"),
    Arith("sum-f64", sums="f64"),
    Arith("sum-lanes64-fma", sums="lanes64"),
    Arith("numpy-blas", sums="numpy"),
    Arith("transc-f32-numpy", transc="f32"),
    Arith("exp+-2ulp", exp_ulps=2, seed=1),
    Arith("rsqrt-f64", rsqrt="f64"),
    Arith("softmax-div", softmax="div"),
    Arith("hf-order", linear="hf"),
    Arith("hf-order+blas", linear="hf", sums="numpy"),
    Arith("127/m-one-rounding", act_scale="div"),
] + [Arith(f"all-at-once#{i}", sums="lanes64", transc="f32", exp_ulps=2, rsqrt="f64",
           softmax="div", seed=100 + i) for i in range(8)]

# Simulated chips: every quantizer input multiplied by (1 + eps * u), u uniform in [-1, 1].
NOISE_LEVELS = (1e-6, 1e-5, 1e-4)
NOISE_TRIALS = 100


def code_flips(rec_a, rec_b):
    flips = 0
    for (na, ca, _), (nb, cb, _) in zip(rec_a, rec_b):
        assert na == nb and ca.shape == cb.shape
        flips += int(np.count_nonzero(ca != cb))
    return flips


def quantizer_input_drift(rec_a, rec_b):
    """max |x*s - x'*s'| (in code units) over the quantizations before the first flipped code:
    how far legitimate arithmetic moves the values that get rounded."""
    drift = 0.0
    for (_, ca, va), (_, cb, vb) in zip(rec_a, rec_b):
        drift = max(drift, float(np.abs(va - vb).max()))
        if np.any(ca != cb):
            break
    return drift


def bug_cases(W, cfg):
    """Deliberate mistakes, to show what the tolerance still catches: (name, W, cfg, bug)."""
    def copy():
        return {k: v.copy() for k, v in W.items()}

    def flip_trit(w, key, index):
        w[key][index] = -w[key][index] if w[key][index] else 1

    projs = [k[:-len(".weight")] for k in W if k.endswith("_proj.weight")]
    last = cfg["num_hidden_layers"] - 1
    cases = [(b, W, cfg, b) for b in (
        "round-half-away-from-zero", "act-absmax-per-tensor", "rope-positions-from-1",
        "rope-interleaved-pairs", "no-rope", "kv-heads-tiled", "no-causal-mask",
        "no-score-scaling", "no-sub-norms")]
    for name, key, index in (("one trit wrong: layer 0 down_proj[0, 0]", "model.layers.0.mlp.down_proj.weight", (0, 0)),
                             ("one trit wrong: last layer q_proj[-1, -1]", f"model.layers.{last}.self_attn.q_proj.weight", (-1, -1))):
        w = copy()
        flip_trit(w, key, index)
        cases.append((name, w, cfg, None))
    w = copy()
    for p in projs:
        w[p + ".weight"][:, -1] = 0
    cases.append(("last input column ignored (every projection)", w, cfg, None))
    w = copy()
    for p in projs:
        w[p + ".weight"][-1, :] = 0
    cases.append(("last output row missing (every projection)", w, cfg, None))
    w = copy()
    key = "model.layers.0.self_attn.q_proj.weight"
    w[key] = np.ascontiguousarray(w[key].T)
    cases.append(("layer 0 q_proj transposed", w, cfg, None))
    w = copy()
    for p in projs:
        w[p + ".weight_scale"] = F32(1) / w[p + ".weight_scale"]
    cases.append(("weight_scale divided, not multiplied", w, cfg, None))
    w = copy()
    for k in w:
        if "sub_norm" in k:
            w[k] = np.ones_like(w[k])
    cases.append(("sub-norm weights ignored", w, cfg, None))
    c = dict(cfg, rope_theta=10000.0 if cfg["rope_theta"] != 10000.0 else 500000.0)
    cases.append((f"rope_theta {c['rope_theta']:g}", W, c, None))
    cases.append(("rms_norm_eps 1e-6", W, dict(cfg, rms_norm_eps=1e-6), None))
    other = "silu" if cfg["hidden_act"] == "relu2" else "relu2"
    cases.append((f"hidden_act {other}", W, dict(cfg, hidden_act=other), None))
    return cases


def study(W, cfg, ids, logits, rec):
    scale = float(np.abs(logits).max())

    def delta(lg):
        d = np.abs(lg.astype(F64) - logits.astype(F64))
        return float(d.max()), float(np.sqrt(np.mean(d * d)))

    out = dict(scale=scale, total_codes=sum(c.size for _, c, _ in rec))
    # 0. Magnitudes: the smallest RMSNorm variance (in units of eps) and how far attention
    # scores spread below their row's maximum; also with q/k/gate/up scales 5x smaller, i.e.
    # all weight scales in the gamma-sized range, to show why they are not.
    def magnitudes(weights):
        seen = dict(var=[], spread=[])

        class Probe(Arith):
            def rsqrt(self, v):
                seen["var"].append(float((v.astype(F64) - F64(F32(cfg["rms_norm_eps"]))).min()))
                return super().rsqrt(v)

            def exp(self, x):
                if x.ndim == 3:                              # softmax: [heads, T, T], max 0
                    seen["spread"].append(float(-np.where(np.isfinite(x), x, 0).min()))
                return super().exp(x)

        forward(weights, cfg, ids, Probe("probe"))
        return min(seen["var"]) / cfg["rms_norm_eps"], max(seen["spread"])

    out["min_variance_over_eps"], out["score_spread"] = magnitudes(W)
    narrow = {k: (v * F32(0.2) if k.endswith(tuple(p + ".weight_scale" for p in WIDE_SCALED)) else v)
              for k, v in W.items()}
    out["narrow_min_variance_over_eps"], out["narrow_score_spread"] = magnitudes(narrow)
    # 1. Other legitimate float32 arithmetic
    out["rows"] = []
    for ar in PERTURBATIONS:
        r = []
        mx, rms = delta(forward(W, cfg, ids, ar, record=r)[0])
        out["rows"].append(dict(name=ar.name, abs=mx, rms=rms, flips=code_flips(rec, r),
                                drift=quantizer_input_drift(rec, r)))
    # 2. Margins: distance of x * s from the nearest rounding boundary k + 0.5, per code
    sites = []
    for i, (group, c, v) in enumerate(rec):
        margin = np.abs(np.abs(v - np.floor(v)) - F32(0.5))
        for t_, f_ in zip(*np.nonzero(np.abs(v) < 127.5)):
            other = 1 if v[t_, f_] >= c[t_, f_] else -1       # the neighbour across the boundary
            sites.append((float(margin[t_, f_]), i, int(t_), int(f_), other))
    sites.sort()
    out["min_margin"] = sites[0][0]
    out["margin_sites"] = [dict(margin=m, group=rec[i][0], token=t_, feature=f_, value=float(rec[i][2][t_, f_]))
                           for m, i, t_, f_, _ in sites[:3]]
    out["below"] = {d: sum(1 for s in sites if s[0] < d) for d in (1e-5, 1e-4, 1e-3)}
    # 3. Every code flipped alone (to its neighbour across the boundary)
    costs = []
    for m, i, t_, f_, other in sites:
        mx, rms = delta(forward(W, cfg, ids, flip=(i, t_, f_, other))[0])
        costs.append((mx, rms, rec[i][0], t_, f_, m))
    a = np.array([c[0] for c in costs])
    worst = max(costs)
    out["flip"] = dict(n=len(costs), median=float(np.median(a)), q99=float(np.quantile(a, 0.99)),
                       max=float(a.max()), rms_max=max(c[1] for c in costs), worst_site=worst[2:5],
                       fragile_max=max(c[0] for c in costs[:24]))
    # 4. Simulated chips with noisy quantizer inputs
    out["noise"] = []
    for eps in NOISE_LEVELS:
        mxs, rmss, fls = [], [], []
        for trial in range(NOISE_TRIALS):
            r = []
            mx, rms = delta(forward(W, cfg, ids, Arith("noise", act_noise=eps, seed=1000 + trial), record=r)[0])
            mxs.append(mx)
            rmss.append(rms)
            fls.append(code_flips(rec, r))
        out["noise"].append(dict(eps=eps, flips_median=float(np.median(fls)), flips_max=int(max(fls)),
                                 no_flip=float(np.mean(np.array(fls) == 0)), abs_max=max(mxs),
                                 abs_median=float(np.median(mxs)), rms_max=max(rmss)))
    # 5. Deliberate mistakes
    out["bugs"] = []
    for name, w, c, b in bug_cases(W, cfg):
        mx, rms = delta(forward(w, c, ids, bug=b)[0])
        out["bugs"].append(dict(name=name, abs=mx, rms=rms))
    # 6. The cross-check
    out["cross"] = {}
    for dt in (F32, F64):
        lg, hd, codes = hf_shaped_forward(W, cfg, ids, dt)
        fl = sum(int(np.count_nonzero(x[0] != y)) for x, (_, y, _) in zip(codes, rec))
        mx, rms = delta(lg)
        out["cross"][np.dtype(dt).name] = dict(abs=mx, rms=rms, flips=fl)
    return out


# ---------------------------------------------------------------------------------------------
# Output


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def build(model, index):
    cfg = full_config(model)
    rng = np.random.default_rng(SEED + index)
    W = make_weights(cfg, rng)
    ids = make_prompt(cfg["vocab_size"], model["prompt_len"], rng)
    rec = []
    logits, hidden = forward(W, cfg, ids, record=rec)
    files = {"config.json": (json.dumps(cfg, indent=2, sort_keys=True) + "\n").encode()}
    for k, a in W.items():
        files[k + ".npy"] = npy_bytes(a)
    files["prompt_ids.npy"] = npy_bytes(ids)
    files["logits.npy"] = npy_bytes(logits)
    files["hidden_last.npy"] = npy_bytes(hidden)
    return cfg, W, ids, logits, hidden, rec, files


# ---------------------------------------------------------------------------------------------
# The proposed tolerance


SAFETY = 2.0


def ceil2(x):
    """x rounded up to two significant digits."""
    e = math.floor(math.log10(x)) - 1
    return float(f"{math.ceil(x / 10 ** e - 1e-9) * 10 ** e:.2g}")


def tolerance(st):
    """SAFETY times the worst legitimate-looking deviation measured: the worst single code flip
    of the exhaustive scan, or the worst simulated noisy chip (up to 100x the measured drift)."""
    S = st["scale"]
    worst_max = max(st["flip"]["max"], max(n["abs_max"] for n in st["noise"]))
    worst_rms = max(st["flip"]["rms_max"], max(n["rms_max"] for n in st["noise"]))
    max_rel, rms_rel = ceil2(SAFETY * worst_max / S), ceil2(SAFETY * worst_rms / S)
    return dict(max_abs_logit=S, max_rel=max_rel, rms_rel=rms_rel,
                max_abs_diff=float(f"{max_rel * S:.4g}"), rms_abs_diff=float(f"{rms_rel * S:.4g}"),
                measured_worst_max_rel=worst_max / S, measured_worst_rms_rel=worst_rms / S)


def tolerance_json(tol):
    doc = dict(
        max_abs_diff=tol["max_abs_diff"], rms_abs_diff=tol["rms_abs_diff"],
        max_abs_logit=float(f"{tol['max_abs_logit']:.6g}"), max_rel=tol["max_rel"], rms_rel=tol["rms_rel"],
        rule="pass iff max |chip - logits.npy| <= max_abs_diff and sqrt(mean((chip - logits.npy)^2)) <= "
             "rms_abs_diff, over all N x vocab logits; derivation in ../README.md")
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def readme(results):
    L = []
    w = L.append

    def rel(x, S):
        return f"{x / S:.1e}"

    w("# Decoder fixtures\n")
    w("Three tiny seeded BitNet b1.58 decoders: their tensors under Hugging Face checkpoint names, a")
    w("prompt, and the float32 logits at every prompt position of a NumPy re-implementation of")
    w("Hugging Face transformers' `models/bitnet/modeling_bitnet.py` with the offline `AutoBitLinear`")
    w("of `integrations/bitnet.py` (microsoft/bitnet-b1.58-2B-4T's `quantization_mode: offline`). The")
    w("tests run the simulated chip on the same model and compare its logits within the tolerance below.\n")
    w("Made by `make_decoder_fixtures.py` in this folder: `python3 make_decoder_fixtures.py` rewrites")
    w("everything, this README included (about a minute on one core); `--check` recomputes and fails")
    w(f"unless the committed fixture files are byte-identical. numpy {np.__version__}, seed {SEED} (model")
    w(f"i of the table uses `np.random.default_rng({SEED} + i)`). The script's docstring cites the HF and")
    w("PyTorch code it follows, operation by operation, and every deviation.\n")
    w("## Models\n")
    w("| folder | model_type | act | layers | hidden | intermediate | heads / kv heads | head_dim | vocab | rope_theta | tied | N |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, res in results:
        c = res["cfg"]
        w(f"| `{name}` | {c['model_type']} | {c['hidden_act']} | {c['num_hidden_layers']} | {c['hidden_size']} | "
          f"{c['intermediate_size']} | {c['num_attention_heads']} / {c['num_key_value_heads']} | {c['head_dim']} | "
          f"{c['vocab_size']} | {c['rope_theta']:g} | {str(c['tie_word_embeddings']).lower()} | {res['N']} |")
    w("")
    w("`llama-1l-silu` is LLaMA-shaped (SiLU gate, theta 10000) but keeps BitNet's SubLN sub-norms")
    w("and the same tensor names, like the 1bitLLM b1.58 reproductions; it is not a stock HF Llama.")
    w("All sizes are ragged (no power of two) so that tiling edges are exercised. Prompts contain")
    w("token 0, token vocab-1 and one repeated token.\n")
    w("Parameters: embeddings and untied LM heads N(0, 0.25), norm weights uniform in [0.5, 1.5),")
    w("all rounded to bf16; trits -1/0/+1 with p = 0.3/0.4/0.3; `weight_scale` (bf16-rounded)")
    w("uniform in [0.02, 0.1) for v, o and down_proj and in [0.2, 0.5) for q, k, gate and up_proj.")
    w("The larger q/k/gate/up scales stand in for width: a tiny layer's dot products are about")
    w("sqrt(2560 / in_features) ~ 8x smaller than a 2560-wide layer's. With those four scales 5x")
    w("smaller (all scales gamma-sized), the attention scores of a row stay within " + ", ".join(
        f"{res['study']['narrow_score_spread']:.2f}" for _, res in results) + " of its")
    w("maximum (a nearly uniform softmax, which hides RoPE, mask and head-order mistakes) and the")
    w("smallest RMSNorm variance is " + ", ".join(
        f"{res['study']['narrow_min_variance_over_eps']:.1f}" for _, res in results) + " x eps (the FFN product `act(gate) * up` is")
    w("small enough for eps to matter, and to dominate in one model). As committed, the scores reach " + ", ".join(
        f"{res['study']['score_spread']:.0f}" for _, res in results) + " below")
    w("their row's maximum (exp is exercised far into its range) and the smallest variance is")
    w(", ".join(f"{res['study']['min_variance_over_eps']:.0f}" for _, res in results) + " x eps (models in table order).\n")
    w("## Files\n")
    w("In each model folder (all .npy little-endian, C order, format 1.0):\n")
    w("| file | dtype, shape | meaning |")
    w("| --- | --- | --- |")
    w("| `config.json` | JSON | HF style config: model_type, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, vocab_size, hidden_act, rms_norm_eps, max_position_embeddings, rope_theta, tie_word_embeddings (and attention_bias false, rope_scaling null, torch_dtype float32; BitNet ones add 2B-4T's `quantization_config`) |")
    w("| `model.embed_tokens.weight.npy` | float32 [vocab, hidden] | token embeddings, bf16-representable; the LM head too when tied |")
    w("| `model.layers.L.input_layernorm.weight.npy` | float32 [hidden] | RMSNorm before attention |")
    w("| `model.layers.L.self_attn.{q,k,v,o}_proj.weight.npy` | int8 [out, in] | trits in {-1, 0, 1}, torch Linear layout (out x in) |")
    w("| `model.layers.L.self_attn.{q,k,v,o}_proj.weight_scale.npy` | float32 [1] | offline AutoBitLinear `weight_scale`: the projection's output is multiplied by it |")
    w("| `model.layers.L.self_attn.attn_sub_norm.weight.npy` | float32 [hidden] | SubLN RMSNorm over the concatenated heads, before o_proj |")
    w("| `model.layers.L.post_attention_layernorm.weight.npy` | float32 [hidden] | RMSNorm before the MLP |")
    w("| `model.layers.L.mlp.{gate,up,down}_proj.weight.npy` | int8 [out, in] | MLP trits |")
    w("| `model.layers.L.mlp.{gate,up,down}_proj.weight_scale.npy` | float32 [1] | MLP weight scales |")
    w("| `model.layers.L.mlp.ffn_sub_norm.weight.npy` | float32 [intermediate] | SubLN RMSNorm before down_proj |")
    w("| `model.norm.weight.npy` | float32 [hidden] | final RMSNorm |")
    w("| `lm_head.weight.npy` | float32 [vocab, hidden] | LM head, bf16-representable; only when `tie_word_embeddings` is false |")
    w("| `prompt_ids.npy` | int32 [N] | prompt token ids, at positions 0..N-1 |")
    w("| `logits.npy` | float32 [N, vocab] | logits at every prompt position (causal attention, no past) |")
    w("| `hidden_last.npy` | float32 [N, hidden] | output of the final norm (the LM head's input), for debugging |")
    w("| `tolerance.json` | JSON | the proposed tolerance below, for this model (max_abs_diff, rms_abs_diff, ...) |")
    w("")
    w("(L = 0 .. num_hidden_layers - 1.) Beside them: `make_decoder_fixtures.py` and this README.\n")
    w("| folder | files | bytes |")
    w("| --- | --- | --- |")
    for name, res in results:
        w(f"| `{name}` | {res['nfiles']} | {res['bytes']} |")
    w("")
    w("## Fixture arithmetic\n")
    w("Every array is float32 and every elementwise operation one correctly rounded binary32")
    w("operation, in the eager PyTorch order of the HF code:")
    w("RMSNorm `w * (x * (1 / sqrt(sum(x*x) / n + eps)))` (torch: `pow(2).mean(-1)`, `rsqrt` = 1/sqrt);")
    w("BitLinear `s = fl(fl(1 / max(max|x|, 1e-5)) * 127)` (torch evaluates `127 / t` as")
    w("`t.reciprocal() * 127`), `codes = clamp(round_half_even(x * s), -128, 127)`,")
    w("`y = fl(fl(float(codes . trits) / s) * weight_scale)` with the integer sum exact;")
    w("RoPE `inv_freq = fl(1 / fl(theta ^ fl(2i / head_dim)))`, `cos, sin` of `fl(pos * inv_freq)`,")
    w("`q*cos + rotate_half(q)*sin` over the two halves; scores `fl(q.k) * fl(head_dim^-0.5)`,")
    w("causal; softmax `exp(x - max) * (1 / sum)` (torch's CPU kernel); GQA as `repeat_kv`;")
    w("relu2 `r * r`, `r = max(x, 0)`; silu `x / (1 + exp(-x))`.")
    w("Sums run sequentially in float32 from index 0, each product rounded (no FMA); exp, cos, sin")
    w("and pow are computed in float64 and rounded once. So the fixtures use neither BLAS nor a")
    w("float32 SIMD ufunc and are the same bytes on any machine.\n")
    w("Deviation from HF: HF's `ActQuant` returns `codes / s` and `F.linear` then sums floats; here")
    w("(and on the chip, and in microsoft/BitNet's int8 x int2 kernel) the integer sum is divided")
    w("by `s` once. The difference is a few ulp of each output (the `hf-order` rows below) and is")
    w("covered by the tolerance.\n")
    w("## Tolerance\n")
    w("### Proposal\n")
    w("Over all N x vocab logits of a model, with `d = chip - logits.npy`:\n")
    w("    max |d| <= max_abs_diff   and   sqrt(mean(d^2)) <= rms_abs_diff\n")
    w("| model | max abs logit | max_abs_diff (relative) | rms_abs_diff (relative) |")
    w("| --- | --- | --- | --- |")
    for name, res in results:
        t = res["tol"]
        w(f"| `{name}` | {t['max_abs_logit']:.4f} | {t['max_abs_diff']:g} ({t['max_rel']:g}) | {t['rms_abs_diff']:g} ({t['rms_rel']:g}) |")
    w("")
    w("In a Swift test: read `tolerance.json` beside the fixture, run the chip on `prompt_ids.npy`")
    w("(positions 0..N-1, empty cache), and check both inequalities; on failure, print the worst")
    w("position and vocabulary entry, and compare `hidden_last.npy` to locate the divergence.\n")
    w(f"Each bound is {SAFETY:g} x the worst deviation measured for that model from legitimate causes")
    w("(below: the exhaustive single-flip scan and the simulated noisy chips), rounded up to two")
    w("digits; the same numbers are in each folder's `tolerance.json`. A chip whose codes all agree")
    w("with the fixture's lands far inside: every perturbation below that flipped no code stayed")
    w(f"within {max(r['abs'] / res['study']['scale'] for _, res in results for r in res['study']['rows'] if r['flips'] == 0):.1e} of max |logits|; a test may report such an")
    w("exact-path agreement (say `max |d| <= 1e-5 * max|logits|`) as information, but should not")
    w("require it.\n")
    w("### Why not tighter: activation code flips\n")
    w("The chip sums in another order (64-lane FMA partial sums, then a tree), has its own exp")
    w("(within about 2 ulp) and computes 1/sqrt as a correctly rounded sqrt and a divide. On their")
    w("own these are ulp-sized. But every BitLinear rounds `x * s` to an int8 code: where `x * s` lies")
    w("within that drift of `k + 0.5`, the chip may legitimately pick the other code, which moves")
    w("that projection's outputs by `weight_scale / s` per non-zero trit, and the next quantizers")
    w("then round a slightly different input (a cascade: one early flip changes hundreds of later")
    w("codes). The logits then differ by the effect of a code step, not by an ulp.\n")
    w("**1. Other legitimate float32 arithmetic.** The whole forward pass recomputed with: `sum-*`")
    w("another order for every float reduction (reversed; pairwise tree; float64 accumulation; 64")
    w("lanes with fused multiply-add then a halving tree, the chip's shape); `numpy-blas` numpy's")
    w("float32 matmul and sum; `transc-f32-numpy` numpy's float32 exp/cos/sin/pow; `exp+-2ulp`")
    w("every exp moved by a random -2..2 ulp; `rsqrt-f64` 1/sqrt rounded once from float64;")
    w("`softmax-div` e / sum instead of e * (1 / sum); `hf-order` HF's BitLinear order (codes / s,")
    w("float sum, then * weight_scale), also with BLAS; `127/m-one-rounding` the activation scale as")
    w("one division (not torch's; shows what that slip costs); `all-at-once#i` lanes64 + numpy")
    w("transcendentals + exp +-2 ulp + rsqrt-f64 + softmax-div, 8 noise seeds. Cells: max |d|")
    w("relative to max |logits| / code flips / drift = max |x*s - x'*s'| at the quantizer inputs, in")
    w("code units, up to the first flip.\n")
    w("| perturbation | " + " | ".join(f"`{n}`" for n, _ in results) + " |")
    w("| --- |" + " --- |" * len(results))
    for k, row in enumerate(results[0][1]["study"]["rows"]):
        cells = []
        for _, res in results:
            r = res["study"]["rows"][k]
            cells.append(f"{rel(r['abs'], res['study']['scale'])} / {r['flips']} / {r['drift']:.1e}")
        w(f"| `{row['name']}` | " + " | ".join(cells) + " |")
    w("| activation codes in all | " + " | ".join(str(res["study"]["total_codes"]) for _, res in results) + " |")
    w("")
    w("Drift at the quantizer inputs is up to about 2e-4 code units (about 1e-6 relative).")
    w("How close the fixture's codes come to a boundary (margin = | |x*s - floor(x*s)| - 0.5 |):\n")
    w("| model | smallest margin (where) | codes with margin < 1e-5 / 1e-4 / 1e-3 |")
    w("| --- | --- | --- |")
    for name, res in results:
        s = res["study"]
        m0 = s["margin_sites"][0]
        w(f"| `{name}` | {s['min_margin']:.1e} (`{m0['group']}`, token {m0['token']}, feature {m0['feature']}: x*s = {m0['value']:.6f}) | "
          f"{s['below'][1e-5]} / {s['below'][1e-4]} / {s['below'][1e-3]} |")
    w("")
    w("So a handful of codes per model are within reach of a legitimate chip. None of the")
    w("perturbations above happened to flip one, but a chip may.\n")
    w("**2. What one flip costs: exhaustive scan.** Every activation code of the prompt (each")
    w("distinct quantization: the shared q/k/v input, the o_proj input, the shared gate/up input,")
    w("the down_proj input, per layer and token) moved alone to its neighbour across the nearest")
    w("boundary, the rest of the pass recomputed (so its cascade is included):\n")
    w("| model | codes scanned | median max\\|d\\| | 99th percentile | worst (site) | worst rms | worst among the 24 most fragile |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for name, res in results:
        f, S = res["study"]["flip"], res["study"]["scale"]
        w(f"| `{name}` | {f['n']} | {rel(f['median'], S)} | {rel(f['q99'], S)} | {rel(f['max'], S)} "
          f"(`{f['worst_site'][0]}`, token {f['worst_site'][1]}) | {rel(f['rms_max'], S)} | {rel(f['fragile_max'], S)} |")
    w("")
    w("(All relative to max |logits|.) The costliest flips are early: layer 0's q/k/v input at an")
    w("early token reaches every later position through attention.\n")
    w(f"**3. Simulated noisy chips.** {NOISE_TRIALS} runs per level, every quantizer input multiplied")
    w("by (1 + eps u), u uniform in [-1, 1] per element: eps = 1e-6 is about the measured drift,")
    w("1e-5 and 1e-4 are 10x and 100x it. Many simultaneous flips behave like noise and partly")
    w("cancel; the worst stays below the worst single flip:\n")
    w("| model | eps | runs with no flip | flips: median / max | max\\|d\\|: median / worst | worst rms |")
    w("| --- | --- | --- | --- | --- | --- |")
    for name, res in results:
        S = res["study"]["scale"]
        for n in res["study"]["noise"]:
            w(f"| `{name}` | {n['eps']:.0e} | {n['no_flip']:.0%} | {n['flips_median']:g} / {n['flips_max']} | "
              f"{rel(n['abs_median'], S)} / {rel(n['abs_max'], S)} | {rel(n['rms_max'], S)} |")
    w("")
    w(f"**4. The bound.** Tolerance = {SAFETY:g} x max(worst single flip, worst noisy chip), separately for")
    w("max |d| and rms(d). The factor leaves room for two worst-case flips at once (flips add at")
    w("most linearly; the noise runs show that many flips add far less), and the worst case itself")
    w("comes from an exhaustive scan, not a sample. Measured worst (relative): " +
      "; ".join(f"`{n}` {r['tol']['measured_worst_max_rel']:.1e} max, {r['tol']['measured_worst_rms_rel']:.1e} rms" for n, r in results) + ".\n")
    w("**5. What it still catches.** The same model with a deliberate mistake, max |d| (and rms)")
    w("relative to max |logits|; **yes** where a bound is exceeded:\n")
    w("| mistake | " + " | ".join(f"`{n}`" for n, _ in results) + " |")
    w("| --- |" + " --- |" * len(results))
    for k, row in enumerate(results[0][1]["study"]["bugs"]):
        cells = []
        for _, res in results:
            b, S, t = res["study"]["bugs"][k], res["study"]["scale"], res["tol"]
            caught = b["abs"] > t["max_abs_diff"] or b["rms"] > t["rms_abs_diff"]
            if b["abs"] == 0:
                cells.append("identical here")
            else:
                cells.append(f"{rel(b['abs'], S)} ({rel(b['rms'], S)}) {'**yes**' if caught else 'no'}")
        name = row["name"]
        if name.startswith("rope_theta"):
            name = "rope_theta of the other model type"
        if name.startswith("hidden_act"):
            name = "the other activation (relu2 <-> silu)"
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("")
    w("Structural errors (RoPE layout, mask, head order, sub-norms, a transposed or a ragged-edge")
    w("tile, scale handling, the activation) are caught with a wide margin. What cannot be told")
    w("from a legitimate flip through the logits: a single wrong trit, a per-tensor activation")
    w("scale in some models, a small eps change; rounding ties away from zero (identical unless some")
    w("`x*s` is exactly `k + 0.5`, which happens in none of these prompts); RoPE positions shifted")
    w("by one (RoPE is relative: only rounding changes). Those need the layer-level tests")
    w("(single BitLinear, exact integer sums), not the end-to-end logits.\n")
    w("## Cross-check against an independent implementation\n")
    w("`hf_shaped_forward` in the script is written separately and shaped like the torch code")
    w("(batch and head axes, `repeat_kv` by expand + reshape, the additive `finfo.min` mask, HF's")
    w("dequantize-then-matmul BitLinear, numpy's matmul/mean/exp/cos/power), run in float32 and in")
    w("float64. max |d| (rms) relative to max |logits|, and int8 codes that differ:\n")
    w("| model | float32 | float64 |")
    w("| --- | --- | --- |")
    for name, res in results:
        c, S = res["study"]["cross"], res["study"]["scale"]
        w(f"| `{name}` | {rel(c['float32']['abs'], S)} ({rel(c['float32']['rms'], S)}), {c['float32']['flips']} codes | "
          f"{rel(c['float64']['abs'], S)} ({rel(c['float64']['rms'], S)}), {c['float64']['flips']} codes |")
    w("")
    w("torch itself was not installed (on Linux, PyPI's torch wheel depends on the CUDA runtime")
    w("packages, gigabytes of downloads). The float64 column shows that the float32 fixture is")
    w("accurate to a few 1e-7 of its scale.\n")
    w("## Not confirmed\n")
    w("- torch's float32 `pow`, `cos`, `sin` and `exp` (SLEEF or libm) may differ from the correctly")
    w("  rounded values used here by an ulp; `transc-f32-numpy` above bounds the effect.")
    w("- HF's `ActQuant` and `BitLinear` helpers are decorated with `@torch.compile`; a compiled")
    w("  kernel could fuse `reciprocal() * 127` into one division. That is the `127/m-one-rounding`")
    w("  row: it flipped no code here; where it does, the flip is like any other.")
    w("- HF's default attention is `sdpa`, not `eager`; the fixtures follow `eager_attention_forward`.")
    w("- The 2B-4T checkpoint runs in bfloat16; these are the float32 semantics (the parameters are")
    w("  bf16-representable, the activations are not rounded to bf16).")
    w("\nThe perturbation rows that use numpy's BLAS or float32 ufuncs may move slightly on another")
    w("machine; the fixtures, the flip scan, the noisy chips and the tolerance do not.")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="recompute; fail unless the committed fixture files are identical")
    args = ap.parse_args()
    results = []
    outputs = {}
    for i, model in enumerate(MODELS):
        cfg, W, ids, logits, hidden, rec, files = build(model, i)
        st = study(W, cfg, ids, logits, rec)
        tol = tolerance(st)
        files["tolerance.json"] = tolerance_json(tol)
        size = sum(len(b) for b in files.values())
        assert size < 200_000, size
        results.append((model["name"], dict(cfg=cfg, N=len(ids), study=st, tol=tol, nfiles=len(files), bytes=size)))
        for fn, b in files.items():
            outputs[os.path.join(model["name"], fn)] = b
        S = st["scale"]
        print(f"{model['name']}: {len(files)} files, {size} bytes, max|logit| {S:.4f}, "
              f"tolerance max {tol['max_abs_diff']:g} rms {tol['rms_abs_diff']:g}")
        for r in st["rows"]:
            print(f"  {r['name']:20s} max|d| {r['abs']:.2e} ({r['abs'] / S:.1e}) flips {r['flips']} drift {r['drift']:.1e}")
        print(f"  single flips: worst {st['flip']['max'] / S:.2e}, worst rms {st['flip']['rms_max'] / S:.2e}, "
              f"min margin {st['min_margin']:.1e}")
        for n in st["noise"]:
            print(f"  noise {n['eps']:.0e}: flips max {n['flips_max']}, worst {n['abs_max'] / S:.2e}")
        print(f"  cross-check: " + ", ".join(f"{k} {v['abs'] / S:.1e} ({v['flips']} codes)" for k, v in st["cross"].items()))
    outputs["README.md"] = readme(results).encode()
    if args.check:
        # README.md is left out: its perturbation rows may move with the BLAS / SIMD level.
        bad = [rel for rel, b in outputs.items() if rel != "README.md" and (
            not os.path.exists(os.path.join(HERE, rel)) or open(os.path.join(HERE, rel), "rb").read() != b)]
        print("check:", "OK, every fixture file is identical" if not bad else f"DIFFER: {bad}")
        return 1 if bad else 0
    for rel, b in outputs.items():
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b)
    digest = hashlib.sha256(b"".join(outputs[k] for k in sorted(outputs) if k != "README.md")).hexdigest()
    print("fixture sha256:", digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
