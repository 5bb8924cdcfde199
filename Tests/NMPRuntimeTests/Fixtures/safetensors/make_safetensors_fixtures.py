#!/usr/bin/env python3
"""Writes the safetensors fixtures of Tests/NMPRuntimeTests/SafeTensorsTests.swift.

A tiny BitNet decoder (hidden 8, intermediate 12, 2 layers, 2 heads, 1 KV head, vocab 5,
untied head), seeded, in two layouts:

- packed/: the ternary projections as transformers' BitLinear stores them
  (src/transformers/integrations/bitnet.py, `pack_weights`): uint8 [out/4, in], trit + 1
  in bits 2i..2i+1 for row block i, with a float32 `weight_scale` of shape [1]. Written by
  `safetensors.numpy.save_file` in two shards (the loader reads every *.safetensors). numpy
  has no bfloat16, so the float tensors are F32 holding values bf16 represents exactly.
- latent/: every tensor BF16 (latent projection weights [out, in], no weight_scale). Neither
  numpy nor safetensors.numpy writes BF16 and torch is not required, so this file's bytes
  are built by hand here, following the format in the huggingface/safetensors README
  (8-byte little-endian header length, JSON header padded with spaces, data buffer); the
  result is read back with `safetensors.safe_open(framework="numpy")`-free parsing checks
  below (header JSON and offsets) to make sure it is well formed.

The expected values are written beside them as .npy: for each layout, the trits of every
projection (int8 [out, in], `<layer>.<proj>.trits.npy`), `scales.npy` (float32, the value a
+1 weight dequantizes to, in layer then q,k,v,o,gate,up,down order) and `floats.npy`-style
norm/embedding values (`<tensor>.npy`, float32). For packed, the scale is 1 / weight_scale
(BitLinear.forward divides by weight_scale in post_quant_process). For latent, the trits and
scale are computed here by absmean (transformers `WeightQuant.forward`:
s = 1 / mean|w|.clamp(min=1e-5), round(w * s).clamp(-1, 1), dequantized value 1 / s); the
latent weights are drawn as trit * (1 +- 0.25) and zeros as +-0.1 so that no product w * s
lies near a rounding boundary, and the float32 sum order cannot change a trit.

Run from this directory: python3 make_safetensors_fixtures.py (numpy, safetensors).
"""
import json
import os
import struct

import numpy as np
from safetensors.numpy import save_file, load_file

HERE = os.path.dirname(os.path.abspath(__file__))
HIDDEN, INTER, LAYERS, HEADS, KV, VOCAB = 8, 12, 2, 2, 1, 5
HEAD_DIM = HIDDEN // HEADS
PROJ = [("self_attn.q_proj", HEADS * HEAD_DIM, HIDDEN), ("self_attn.k_proj", KV * HEAD_DIM, HIDDEN),
        ("self_attn.v_proj", KV * HEAD_DIM, HIDDEN), ("self_attn.o_proj", HIDDEN, HEADS * HEAD_DIM),
        ("mlp.gate_proj", INTER, HIDDEN), ("mlp.up_proj", INTER, HIDDEN), ("mlp.down_proj", HIDDEN, INTER)]
NORMS = [("input_layernorm", HIDDEN), ("post_attention_layernorm", HIDDEN),
         ("self_attn.attn_sub_norm", HEADS * HEAD_DIM), ("mlp.ffn_sub_norm", INTER)]


def config(extra):
    c = {"model_type": "bitnet", "architectures": ["BitNetForCausalLM"], "hidden_size": HIDDEN,
         "intermediate_size": INTER, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
         "num_key_value_heads": KV, "vocab_size": VOCAB, "hidden_act": "relu2",
         "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
         "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    c.update(extra)
    return c


def to_bf16(x):
    """float32 -> nearest bf16 (ties to even) as uint16 bits, and the float32 it stands for."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return r, (r.astype(np.uint32) << 16).view(np.float32)


def bf16_values(rng, shape, low, high):
    return to_bf16(rng.uniform(low, high, size=shape).astype(np.float32))[1]


def pack(trits):
    """transformers pack_weights: row block i of [out, in] goes to bits 2i..2i+1."""
    out, cols = trits.shape
    rows = out // 4
    codes = (trits + 1).astype(np.uint8)
    packed = np.zeros((rows, cols), dtype=np.uint8)
    for i in range(4):
        packed |= codes[i * rows:(i + 1) * rows] << (2 * i)
    return packed


def write_bf16_safetensors(path, tensors):
    """A safetensors file of BF16 tensors, bytes laid out as the README describes."""
    header, blobs, offset = {}, [], 0
    for name, values in tensors.items():
        bits, _ = to_bf16(values)
        blob = bits.astype("<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(values.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # padded with spaces to 8 bytes, as safetensors pads
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def save_expected(folder, trits, scales, floats):
    os.makedirs(folder, exist_ok=True)
    for name, t in trits.items():
        np.save(os.path.join(folder, name + ".trits.npy"), t.astype(np.int8))
    np.save(os.path.join(folder, "scales.npy"), np.array(scales, dtype=np.float32))
    for name, v in floats.items():
        np.save(os.path.join(folder, name + ".npy"), v.astype(np.float32))


def floats_of(rng):
    f = {"model.embed_tokens.weight": bf16_values(rng, (VOCAB, HIDDEN), -1, 1),
         "lm_head.weight": bf16_values(rng, (VOCAB, HIDDEN), -1, 1),
         "model.norm.weight": bf16_values(rng, (HIDDEN,), 0.5, 1.5)}
    for layer in range(LAYERS):
        for name, n in NORMS:
            f[f"model.layers.{layer}.{name}.weight"] = bf16_values(rng, (n,), 0.5, 1.5)
    return f


def packed_fixture():
    rng = np.random.default_rng(158)
    floats = floats_of(rng)
    tensors = dict(floats)
    trits, scales = {}, []
    for layer in range(LAYERS):
        for name, out, cols in PROJ:
            key = f"model.layers.{layer}.{name}"
            t = rng.integers(-1, 2, size=(out, cols)).astype(np.int8)
            ws = np.float32(rng.uniform(5, 50))
            tensors[key + ".weight"] = pack(t)
            tensors[key + ".weight_scale"] = np.array([ws], dtype=np.float32)
            trits[key] = t
            scales.append(np.float32(1) / ws)  # BitLinear divides by weight_scale
    folder = os.path.join(HERE, "packed")
    os.makedirs(folder, exist_ok=True)
    names = sorted(tensors)
    half = len(names) // 2
    save_file({k: tensors[k] for k in names[:half]}, os.path.join(folder, "model-00001-of-00002.safetensors"), metadata={"format": "pt"})
    save_file({k: tensors[k] for k in names[half:]}, os.path.join(folder, "model-00002-of-00002.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config({"quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear",
                                                  "quantization_mode": "offline"}}), f, indent=2)
    # Read back: the packed bytes unpack (transformers unpack_weights) to the trits.
    back = {**load_file(os.path.join(folder, "model-00001-of-00002.safetensors")),
            **load_file(os.path.join(folder, "model-00002-of-00002.safetensors"))}
    for key, t in trits.items():
        p = back[key + ".weight"]
        rows = p.shape[0]
        u = np.concatenate([((p >> (2 * i)) & 3).astype(np.int8) - 1 for i in range(4)])
        assert u.shape == t.shape and (u == t).all(), key
        assert rows * 4 == t.shape[0]
    save_expected(os.path.join(HERE, "expected_packed"), trits, scales, floats)


def latent_fixture():
    rng = np.random.default_rng(1158)
    floats = floats_of(rng)
    tensors = dict(floats)
    trits, scales = {}, []
    for layer in range(LAYERS):
        for name, out, cols in PROJ:
            key = f"model.layers.{layer}.{name}"
            t = rng.integers(-1, 2, size=(out, cols)).astype(np.float32)
            w = np.where(t != 0, t * rng.uniform(0.75, 1.25, size=t.shape), rng.uniform(-0.1, 0.1, size=t.shape))
            _, w = to_bf16(w.astype(np.float32))
            tensors[key + ".weight"] = w
            gamma = np.float32(np.mean(np.abs(w), dtype=np.float32))
            s = np.float32(1) / max(gamma, np.float32(1e-5))
            q = np.clip(np.round(w * s), -1, 1).astype(np.int8)
            assert (q == t).all(), key  # the draw keeps every product far from a boundary
            trits[key] = q
            scales.append(np.float32(1) / s)
    folder = os.path.join(HERE, "latent")
    os.makedirs(folder, exist_ok=True)
    write_bf16_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config({}), f, indent=2)
    # Read back the hand-built framing: header length, JSON, offsets covering the buffer.
    raw = open(os.path.join(folder, "model.safetensors"), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    ends = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0 and ends[-1][1] == len(raw) - 8 - n
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:]))
    save_expected(os.path.join(HERE, "expected_latent"), trits, scales, floats)


if __name__ == "__main__":
    packed_fixture()
    latent_fixture()
