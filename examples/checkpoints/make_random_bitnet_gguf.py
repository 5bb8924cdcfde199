#!/usr/bin/env python3
"""Writes a BitNet b1.58 GGUF with random weights at the real shapes of a model, in the layout
bitnet.cpp's converter writes (utils/convert-hf-to-gguf-bitnet.py: architecture
"bitnet-b1.58", projections I2_S, token_embd F16, norms F32), to measure `nmp generate` at
full scale without downloading a checkpoint. Nothing it writes is committed.

    pip install 'gguf>=0.11' numpy
    python3 examples/checkpoints/make_random_bitnet_gguf.py /tmp/bitnet-2b4t-random.gguf
    .build/release/nmp generate --model /tmp/bitnet-2b4t-random.gguf --prompt-ids 128000,791,1176 --max-new-tokens 4

Shapes (--model 2b4t, the default): BitNet b1.58 2B4T's config.json (microsoft/bitnet-b1.58-2B-4T):
30 layers, hidden 2560, FFN 6912, 20 heads / 5 KV heads of 128, vocab 128256, relu2, tied
embedding, rope theta 500000, context 4096. "tiny" writes 2 layers of the same widths.
The file has no tokenizer (give --prompt-ids). About 1.2 GB and a minute to write.
"""
import argparse
import struct

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

SHAPES = {
    "2b4t": dict(layers=30, hidden=2560, ffn=6912, heads=20, kv=5, vocab=128256, context=4096),
    "tiny": dict(layers=2, hidden=2560, ffn=6912, heads=20, kv=5, vocab=128256, context=4096),
}


def i2s_bytes(t, scale):
    """bitnet.cpp quantize_to_i2_s layout: 128-value blocks of 32 bytes, then the float32 scale."""
    q = (t.reshape(-1).astype(np.int16) + 1).astype(np.uint8).reshape(-1, 4, 32)
    packed = (q[:, 0] << 6) | (q[:, 1] << 4) | (q[:, 2] << 2) | q[:, 3]
    out = np.zeros(t.size // 4 + 32, dtype=np.uint8)
    out[: t.size // 4] = packed.reshape(-1)
    out[t.size // 4: t.size // 4 + 4] = np.frombuffer(np.float32(scale).tobytes(), dtype=np.uint8)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--model", choices=sorted(SHAPES), default="2b4t")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    s = SHAPES[a.model]
    rng = np.random.default_rng(a.seed)
    H, I, D = s["hidden"], s["ffn"], s["hidden"] // s["heads"]
    w = gguf.GGUFWriter(a.out, arch="bitnet-b1.58")
    w.add_name(f"random bitnet-b1.58 {a.model}")
    w.add_context_length(s["context"])
    w.add_embedding_length(H)
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(I)
    w.add_head_count(s["heads"])
    w.add_head_count_kv(s["kv"])
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(500000.0)
    w.add_rope_dimension_count(D)
    w.add_vocab_size(s["vocab"])
    w.add_file_type(40)  # LLAMA_FTYPE_MOSTLY_I2_S, as bitnet.cpp's converter writes
    w.add_tensor("token_embd.weight", (rng.standard_normal((s["vocab"], H), dtype=np.float32) * 0.05).astype(np.float16))
    shapes = [("attn_q", H, H), ("attn_k", s["kv"] * D, H), ("attn_v", s["kv"] * D, H), ("attn_output", H, H),
              ("ffn_gate", I, H), ("ffn_up", I, H), ("ffn_down", H, I)]
    patches = []
    for L in range(s["layers"]):
        for name, n in [("attn_norm", H), ("attn_sub_norm", H), ("ffn_norm", H), ("ffn_sub_norm", I)]:
            bf16 = (rng.uniform(0.5, 1.5, n).astype(np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)
            w.add_tensor(f"blk.{L}.{name}.weight", bf16)
        for name, out, inp in shapes:
            t = rng.integers(-1, 2, size=(out, inp), dtype=np.int8)
            raw = i2s_bytes(t, np.float32(rng.integers(10, 52) / 512))
            w.add_tensor(f"blk.{L}.{name}.weight", raw.view(np.int8).reshape(2, -1))
            patches.append((f"blk.{L}.{name}.weight", len(raw), out, inp))
    w.add_tensor("output_norm.weight", np.ones(H, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    # gguf-py has no I2_S (type 36): the tensors went in as int8 bytes; patch type and dims.
    with open(a.out, "r+b") as f:
        head = f.read(64 << 20)
        for name, size, out, inp in patches:
            key = name.encode()
            at = head.index(struct.pack("<Q", len(key)) + key) + 8 + len(key)
            n_dims, d0, d1, ty = struct.unpack_from("<IQQI", head, at)
            assert (n_dims, d0, d1, ty) == (2, size // 2, 2, int(Q.I8)), (name, n_dims, d0, d1, ty)
            f.seek(at)
            f.write(struct.pack("<IQQI", 2, inp, out, 36))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
