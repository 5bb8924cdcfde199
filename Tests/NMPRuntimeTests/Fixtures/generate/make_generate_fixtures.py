#!/usr/bin/env python3
"""Generation fixtures for NMPRuntimeTests / NMPCommandsTests: one tiny, seeded BitNet b1.58
decoder (2 layers, hidden 256, 4 heads over 2 KV heads of 64, FFN 256, squared ReLU, tied
embedding) written as real checkpoint files by the packages that write them, with the
tokens a float32 NumPy reference generates from a text prompt.

    pip install 'gguf>=0.11' safetensors tokenizers numpy
    python3 Tests/NMPRuntimeTests/Fixtures/generate/make_generate_fixtures.py

The same model in four files (every file holds exactly the same trits, scales and values,
so one set of expected tokens serves all):
- tq2_0.gguf: architecture "bitnet-b1.58" (bitnet.cpp's, as its converter
  utils/convert-hf-to-gguf-bitnet.py names it), projections TQ2_0 quantized by
  gguf.quants.quantize from trit * scale (block scale d = the block's absmax = scale),
  token_embd F16, norms F32, and the tokenizer as llama.cpp's converter stores a byte-level
  BPE (tokenizer.ggml.model "gpt2", pre "llama-bpe", tokens, token_type, merges, bos/eos ids,
  add_bos_token).
- tq1_0.gguf: architecture "bitnet" (mainline llama.cpp) with `bitnet.hidden_activation`
  "relu2", projections TQ1_0.
- i2_s.gguf: "bitnet-b1.58" with I2_S projections (BitNet type 36, written by hand after
  `quantize_to_i2_s`: gguf-py has no I2_S; the tensor is added as int8 bytes and its type
  and dimensions patched, as in ../gguf/make_gguf_fixtures.py).
- float.gguf: another, very small model in mainline llama.cpp's F16 layout (see
  write_float_gguf), for the float-projection path and llama.cpp's optional `.scale`.
- safetensors/: config.json (model_type bitnet, quantization_config linear_class
  "autobitlinear", offline: the weight_scale multiplies), model.safetensors written by
  safetensors.numpy (projections packed uint8 [out/4, in] as transformers' pack_weights,
  weight_scale F32 [1]; embedding F16 and norms F32, all bf16-exact), tokenizer.json.

Values are chosen so that every format holds them exactly: scales k/512 or k/64 (exact in
fp16 and bf16), embedding entries k/256 with |k| <= 255, norm weights bf16 in [0.5, 1.5].

Expected (the reference: ../decoder/make_decoder_fixtures.py `forward`, a float32 NumPy
re-implementation of HF modeling_bitnet, recomputing the whole sequence at each step):
- prompt_ids.npy int32 [P]: tokenizer.encode(PROMPT).ids (`tokenizers`, with BOS).
- generated_ids.npy int32 [STEPS]: greedy argmax (first maximum) at each step.
- logits.npy float32 [STEPS, vocab]: the logits each generated token was taken from, the last
  prompt position first.
- margins: README.md lists each step's gap between the best and second logit (all well above
  the machine's 2.9e-6 agreement with this reference, so the argmax cannot flip).
- weights: trit_codes.npy (int8 holding uint8 bytes: every projection's trits, layer by layer
  in q, k, v, o, gate, up, down order, row-major [out, in], concatenated, as codes trit + 1,
  four per byte from the low bits up), scales.npy float32 [layers * 7], embedding.npy
  float16 [vocab, hidden] (exact), norms.npy float32 (per layer input, attn_sub,
  post_attention, ffn_sub; then the final norm).

Deterministic: numpy's seeded generator (the first seed from SEED whose greedy tokens vary,
printed); the tokenizer is ../tokenizer/tokenizer.json (NMP_TOKENIZER_JSON overrides).
"""
import importlib.util
import json
import os
import struct

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261126
PROMPT = "The chip said: « bonjour » — 你好!"
STEPS = 8
EMBEDDING_STD = 0.05
F32 = np.float32

spec = importlib.util.spec_from_file_location("decoder", os.path.join(HERE, "..", "decoder", "make_decoder_fixtures.py"))
decoder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(decoder)

# bitnet.cpp's I2_S layout, written once in the GGUF reader's fixture script.
spec_gguf = importlib.util.spec_from_file_location("gguf_fixtures", os.path.join(HERE, "..", "gguf", "make_gguf_fixtures.py"))
gguf_fixtures = importlib.util.module_from_spec(spec_gguf)
spec_gguf.loader.exec_module(gguf_fixtures)
i2s_bytes = gguf_fixtures.i2s_bytes

TOKENIZER = os.environ.get("NMP_TOKENIZER_JSON", os.path.join(HERE, "..", "tokenizer", "tokenizer.json"))
tok = Tokenizer.from_file(TOKENIZER)
VOCAB = tok.get_vocab_size()

CONFIG = dict(model_type="bitnet", architectures=["BitNetForCausalLM"], hidden_act="relu2",
              num_hidden_layers=2, hidden_size=256, intermediate_size=256, num_attention_heads=4,
              num_key_value_heads=2, head_dim=64, vocab_size=VOCAB, rope_theta=500000.0,
              rms_norm_eps=1e-05, tie_word_embeddings=True, max_position_embeddings=64,
              quantization_config=dict(quant_method="bitnet", linear_class="autobitlinear",
                                       quantization_mode="offline"),
              torch_dtype="bfloat16", bos_token_id=None, eos_token_id=None)
PROJ = [("self_attn", "q_proj", "attn_q"), ("self_attn", "k_proj", "attn_k"), ("self_attn", "v_proj", "attn_v"),
        ("self_attn", "o_proj", "attn_output"), ("mlp", "gate_proj", "ffn_gate"), ("mlp", "up_proj", "ffn_up"),
        ("mlp", "down_proj", "ffn_down")]
NORMS = [("input_layernorm", "attn_norm"), ("self_attn.attn_sub_norm", "attn_sub_norm"),
         ("post_attention_layernorm", "ffn_norm"), ("mlp.ffn_sub_norm", "ffn_sub_norm")]


def make_weights(rng):
    c = CONFIG
    H, I, V, nh, nkv, D = (c["hidden_size"], c["intermediate_size"], VOCAB, c["num_attention_heads"],
                           c["num_key_value_heads"], c["head_dim"])
    shapes = dict(q_proj=(nh * D, H), k_proj=(nkv * D, H), v_proj=(nkv * D, H), o_proj=(H, nh * D),
                  gate_proj=(I, H), up_proj=(I, H), down_proj=(H, I))
    W = {}
    W["model.embed_tokens.weight"] = (np.clip(np.round(rng.standard_normal((V, H)) * EMBEDDING_STD * 256), -255, 255) / 256).astype(F32)
    for L in range(c["num_hidden_layers"]):
        p = f"model.layers.{L}."
        for hf, _ in NORMS:
            n = I if hf == "mlp.ffn_sub_norm" else H
            W[p + hf + ".weight"] = decoder.to_bf16(rng.uniform(0.5, 1.5, size=n).astype(F32))
        for module, name, _ in PROJ:
            W[p + f"{module}.{name}.weight"] = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=shapes[name], p=[0.3, 0.4, 0.3])
            k = rng.integers(13, 33) / 64 if name in decoder.WIDE_SCALED else rng.integers(10, 52) / 512
            W[p + f"{module}.{name}.weight_scale"] = np.array([k], dtype=F32)
    W["model.norm.weight"] = decoder.to_bf16(rng.uniform(0.5, 1.5, size=H).astype(F32))
    return W


def generate(W, prompt):
    ids = list(prompt)
    out, rows, margins = [], [], []
    for _ in range(STEPS):
        logits, _ = decoder.forward(W, CONFIG, np.array(ids, dtype=np.int32))
        last = logits[-1]
        best = int(np.argmax(last))
        second = np.sort(last)[-2]
        margins.append(float(last[best] - second))
        out.append(best)
        rows.append(last)
        ids.append(best)
    return np.array(out, dtype=np.int32), np.stack(rows).astype(F32), margins


def tokenizer_metadata(w):
    vocab = json.load(open(TOKENIZER, encoding="utf-8"))
    model = vocab["model"]
    tokens = [None] * VOCAB
    for t, i in model["vocab"].items():
        tokens[i] = t
    special = {a["id"] for a in vocab["added_tokens"] if a.get("special")}
    for a in vocab["added_tokens"]:
        tokens[a["id"]] = a["content"]
    assert all(t is not None for t in tokens)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list(tokens)
    w.add_token_types([int(gguf.TokenType.CONTROL) if i in special else int(gguf.TokenType.NORMAL) for i in range(VOCAB)])
    w.add_token_merges(merges)
    bos = tok.token_to_id("<|begin_of_text|>")
    eos = tok.token_to_id("<|end_of_text|>")
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(True)


def write_gguf(W, name, arch, qtype):
    path = os.path.join(HERE, name)
    c = CONFIG
    w = gguf.GGUFWriter(path, arch=arch)
    w.add_name("nmp tiny bitnet fixture")
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(c["num_attention_heads"])
    w.add_head_count_kv(c["num_key_value_heads"])
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_rope_freq_base(c["rope_theta"])
    w.add_rope_dimension_count(c["head_dim"])
    w.add_vocab_size(VOCAB)
    if arch == "bitnet":
        w.add_string("bitnet.hidden_activation", "relu2")
    tokenizer_metadata(w)
    w.add_tensor("token_embd.weight", W["model.embed_tokens.weight"].astype(np.float16))
    patches = []
    for L in range(c["num_hidden_layers"]):
        p = f"model.layers.{L}."
        for hf, g in NORMS:
            w.add_tensor(f"blk.{L}.{g}.weight", W[p + hf + ".weight"])
        for module, proj, g in PROJ:
            t = W[p + f"{module}.{proj}.weight"]
            s = W[p + f"{module}.{proj}.weight_scale"][0]
            gname = f"blk.{L}.{g}.weight"
            if qtype == "i2_s":
                raw = i2s_bytes(t, s)
                w.add_tensor(gname, raw.view(np.int8).reshape(2, -1))
                patches.append((gname, len(raw), t.shape))
            else:
                qt = Q.TQ2_0 if qtype == "tq2_0" else Q.TQ1_0
                data = gguf.quants.quantize((t.astype(F32) * F32(s)), qt)
                w.add_tensor(gname, data, raw_shape=data.shape, raw_dtype=qt)
    w.add_tensor("output_norm.weight", W["model.norm.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if patches:
        data = bytearray(open(path, "rb").read())
        for gname, size, (out, inp) in patches:
            key = gname.encode()
            at = data.index(struct.pack("<Q", len(key)) + key) + 8 + len(key)
            n_dims, d0, d1, ty = struct.unpack_from("<IQQI", data, at)
            assert (n_dims, d0, d1, ty) == (2, size // 2, 2, int(Q.I8)), (n_dims, d0, d1, ty)
            struct.pack_into("<IQQI", data, at, 2, inp, out, 36)  # GGML_TYPE_I2_S (BitNet fork)
        open(path, "wb").write(bytes(data))
    # The file must decode back to the model (gguf-py's own reader and dequantizer; it
    # cannot read I2_S).
    if qtype == "i2_s":
        return
    r = gguf.GGUFReader(path)
    got = {t.name: t for t in r.tensors}
    for L in range(c["num_hidden_layers"]):
        for module, proj, g in PROJ:
            t = W[f"model.layers.{L}.{module}.{proj}.weight"]
            s = W[f"model.layers.{L}.{module}.{proj}.weight_scale"][0]
            back = gguf.quants.dequantize(got[f"blk.{L}.{g}.weight"].data, got[f"blk.{L}.{g}.weight"].tensor_type)
            assert np.array_equal(back.reshape(t.shape), t.astype(F32) * F32(s)), (name, L, g)


def pack(t):
    """transformers pack_weights: row block i of the [out, in] trits in bits 2i..2i+1."""
    out = t.shape[0]
    q = (t.astype(np.int16) + 1).astype(np.uint8)
    rows = out // 4
    packed = np.zeros((rows, t.shape[1]), dtype=np.uint8)
    for i in range(4):
        packed |= q[i * rows:(i + 1) * rows] << (2 * i)
    return packed


def write_safetensors(W):
    d = os.path.join(HERE, "safetensors")
    os.makedirs(d, exist_ok=True)
    tensors = {}
    for k, a in W.items():
        if k.endswith("_proj.weight"):
            tensors[k] = pack(a)
        elif k == "model.embed_tokens.weight":
            tensors[k] = a.astype(np.float16)
        else:
            tensors[k] = a
    save_file(tensors, os.path.join(d, "model.safetensors"))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(TOKENIZER, "rb") as src, open(os.path.join(d, "tokenizer.json"), "wb") as dst:
        dst.write(src.read())


def write_float_gguf():
    """float.gguf: a very small model (hidden 16, FFN 32, 2 layers, vocab 8, 2 heads of 8,
    1 KV head) as mainline llama.cpp's converter writes a BitNet model with --outtype f16
    (architecture "bitnet", no hidden_activation key: SiLU): projections F16 holding
    weight_quant's -s, 0, +s, some with the optional `<name>.scale` F32 [1] tensor that
    llama.cpp multiplies into the product; token_embd and output F32 values exact in bf16
    (an untied head); no tokenizer. Expected: float.trit_codes.npy (as trit_codes.npy) and
    float.scales.npy (s times the .scale tensor where there is one)."""
    rng = np.random.default_rng(SEED + 1000)
    H, I, V, nh, nkv, D, layers = 16, 32, 8, 2, 1, 8, 2
    path = os.path.join(HERE, "float.gguf")
    w = gguf.GGUFWriter(path, arch="bitnet")
    w.add_context_length(32)
    w.add_embedding_length(H)
    w.add_block_count(layers)
    w.add_feed_forward_length(I)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_tensor("token_embd.weight", decoder.to_bf16(rng.standard_normal((V, H)).astype(F32) * F32(0.5)))
    shapes = dict(attn_q=(nh * D, H), attn_k=(nkv * D, H), attn_v=(nkv * D, H), attn_output=(H, nh * D),
                  ffn_gate=(I, H), ffn_up=(I, H), ffn_down=(H, I))
    trits, scales = [], []
    for L in range(layers):
        for hf, g in NORMS:
            n = I if hf == "mlp.ffn_sub_norm" else H
            w.add_tensor(f"blk.{L}.{g}.weight", decoder.to_bf16(rng.uniform(0.5, 1.5, size=n).astype(F32)))
        for k, (_, _, g) in enumerate(PROJ):
            t = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=shapes[g], p=[0.3, 0.4, 0.3])
            s = F32(rng.integers(10, 52) / 512)
            w.add_tensor(f"blk.{L}.{g}.weight", (t.astype(F32) * s).astype(np.float16))
            extra = F32(1)
            if (L + k) % 3 == 0:
                extra = F32(rng.integers(1, 8) / 4)
                w.add_tensor(f"blk.{L}.{g}.scale", np.array([extra], dtype=F32))
            trits.append(t.reshape(-1))
            scales.append(F32(s * extra))
    w.add_tensor("output_norm.weight", decoder.to_bf16(rng.uniform(0.5, 1.5, size=H).astype(F32)))
    w.add_tensor("output.weight", decoder.to_bf16(rng.standard_normal((V, H)).astype(F32) * F32(0.5)))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    all_trits = np.concatenate(trits)
    all_trits = np.concatenate([all_trits, np.zeros((-all_trits.size) % 4, dtype=np.int8)])
    codes = (all_trits.astype(np.int16) + 1).astype(np.uint8).reshape(-1, 4)
    packed = codes[:, 0] | (codes[:, 1] << 2) | (codes[:, 2] << 4) | (codes[:, 3] << 6)
    np.save(os.path.join(HERE, "float.trit_codes.npy"), packed.astype(np.uint8).view(np.int8))
    np.save(os.path.join(HERE, "float.scales.npy"), np.array(scales, dtype=F32))


def main():
    prompt = np.array(tok.encode(PROMPT).ids, dtype=np.int32)
    # The first seed from SEED whose greedy tokens vary (a random model easily repeats one
    # token) and whose argmax margins are all clear.
    for seed in range(SEED, SEED + 20):
        W = make_weights(np.random.default_rng(seed))
        ids, logits, margins = generate(W, prompt)
        if len(set(ids.tolist())) >= 5 and min(margins) > 1e-2:
            break
    else:
        raise SystemExit("no seed gives varied tokens")
    print("seed", seed)
    np.save(os.path.join(HERE, "prompt_ids.npy"), prompt)
    np.save(os.path.join(HERE, "generated_ids.npy"), ids)
    np.save(os.path.join(HERE, "logits.npy"), logits)
    trits, scales, norms = [], [], []
    for L in range(CONFIG["num_hidden_layers"]):
        p = f"model.layers.{L}."
        for module, proj, _ in PROJ:
            trits.append(W[p + f"{module}.{proj}.weight"].reshape(-1))
            scales.append(W[p + f"{module}.{proj}.weight_scale"][0])
        for hf, _ in NORMS:
            norms.append(W[p + hf + ".weight"])
    norms.append(W["model.norm.weight"])
    codes = (np.concatenate(trits).astype(np.int16) + 1).astype(np.uint8).reshape(-1, 4)
    packed = codes[:, 0] | (codes[:, 1] << 2) | (codes[:, 2] << 4) | (codes[:, 3] << 6)
    np.save(os.path.join(HERE, "trit_codes.npy"), packed.astype(np.uint8).view(np.int8))
    np.save(os.path.join(HERE, "scales.npy"), np.array(scales, dtype=F32))
    np.save(os.path.join(HERE, "embedding.npy"), W["model.embed_tokens.weight"].astype(np.float16))
    np.save(os.path.join(HERE, "norms.npy"), np.concatenate(norms).astype(F32))
    write_gguf(W, "tq2_0.gguf", "bitnet-b1.58", "tq2_0")
    write_gguf(W, "tq1_0.gguf", "bitnet", "tq1_0")
    write_gguf(W, "i2_s.gguf", "bitnet-b1.58", "i2_s")
    write_safetensors(W)
    write_float_gguf()
    text = tok.decode(list(ids), skip_special_tokens=False)
    print("vocab", VOCAB, "prompt", prompt.tolist(), "generated", ids.tolist(), repr(text))
    print("margins", ["%.4f" % m for m in margins])
    for f in sorted(os.listdir(HERE)):
        p = os.path.join(HERE, f)
        print(f, os.path.getsize(p) if os.path.isfile(p) else "")


if __name__ == "__main__":
    main()
