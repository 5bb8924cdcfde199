#!/usr/bin/env python3
"""Writes the GGUF fixtures of Tests/NMPRuntimeTests/GGUFTests.swift with the `gguf` package.

    pip install 'gguf>=0.11' numpy
    python3 Tests/NMPRuntimeTests/Fixtures/gguf/make_gguf_fixtures.py

The files are written by gguf-py's GGUFWriter and quantized by gguf.quants (F32, F16 by
numpy; BF16, Q8_0, TQ1_0, TQ2_0 by gguf.quants.quantize), so the Swift reader is checked
against an independent writer. The expected values next to them (<file>.<tensor>.npy) are
the generated inputs themselves where the format is lossless (trits, F32/F16 values) and
gguf.quants.dequantize of the written blocks where it is not (BF16, Q8_0 floats).

gguf-py has no I2_S (microsoft/BitNet's type 36), so `i2s.gguf` is written by hand here
following BitNet utils/convert-hf-to-gguf-bitnet.py `quantize_to_i2_s` (128-value blocks of
32 bytes, value j of a block in byte j % 32 at bits 6 - 2 * (j // 32), code = trit + 1, then
the float32 scale and padding to n / 4 + 32 bytes): the tensor is added to the writer as an
int8 tensor of n / 4 + 32 bytes, and its type id and dimensions are patched afterwards.
Deterministic: numpy's seeded generator.
"""
import os
import struct

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240607)


def save(name, array):
    np.save(os.path.join(HERE, name), array)


def trits(shape):
    return rng.integers(-1, 2, size=shape, dtype=np.int8)


def write_main():
    path = os.path.join(HERE, "tensors.gguf")
    w = gguf.GGUFWriter(path, arch="bitnet")  # v3, little-endian, alignment 32
    # Metadata of several types (general.architecture is a string written by the writer).
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 65000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.15625)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "ternäry ✓")
    w.add_uint64("test.u64", 18000000000000000000)
    w.add_int64("test.i64", -9000000000000000000)
    w.add_float64("test.f64", -2.5e-300)
    w.add_array("test.strings", ["<s>", "</s>", "hello", ""])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.nested", [[1, 2], [3]])

    f32 = rng.standard_normal((3, 5)).astype(np.float32)
    w.add_tensor("t.f32", f32)
    save("tensors.t.f32.npy", f32)

    f16 = rng.standard_normal((2, 7)).astype(np.float16)
    w.add_tensor("t.f16", f16)
    save("tensors.t.f16.npy", f16.astype(np.float32))

    bf = rng.standard_normal((4, 3)).astype(np.float32)
    bfq = gguf.quants.quantize(bf, Q.BF16)
    w.add_tensor("t.bf16", bfq, raw_dtype=Q.BF16)
    save("tensors.t.bf16.npy", gguf.quants.dequantize(bfq, Q.BF16).astype(np.float32))

    q8 = rng.standard_normal((2, 64)).astype(np.float32)
    q8q = gguf.quants.quantize(q8, Q.Q8_0)
    w.add_tensor("t.q8_0", q8q, raw_dtype=Q.Q8_0)
    save("tensors.t.q8_0.npy", gguf.quants.dequantize(q8q, Q.Q8_0).astype(np.float32))

    # Ternary tensors: random trits times one fp16-exact scale per 256-weight block. The
    # quantizers take d = max |block|, which is the scale when a block has a nonzero trit.
    def ternary(name, qtype, shape, block_scales):
        t = trits(shape)
        t.reshape(-1, 256)[:, 0] = 1  # every block has a nonzero, so d is its scale
        scales = np.asarray(block_scales, dtype=np.float32)
        values = (t.reshape(-1, 256).astype(np.float32) * scales[:, None]).reshape(shape)
        q = gguf.quants.quantize(values, qtype)
        w.add_tensor(name, q, raw_dtype=qtype)
        save(f"tensors.{name}.trits.npy", t)
        save(f"tensors.{name}.scales.npy", scales)
        save(f"tensors.{name}.npy", gguf.quants.dequantize(q, qtype).astype(np.float32))

    ternary("t.tq1_0", Q.TQ1_0, (2, 512), [0.375] * 4)
    ternary("t.tq2_0", Q.TQ2_0, (3, 256), [1.5] * 3)
    ternary("t.tq2_0.mixed", Q.TQ2_0, (2, 256), [0.5, 0.25])
    ternary("t.tq1_0.mixed", Q.TQ1_0, (1, 768), [2.0, 2.0, 0.125])

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def i2s_bytes(t, scale):
    """BitNet quantize_to_i2_s layout of the row-major trits `t` (n a multiple of 128)."""
    q = (t.reshape(-1).astype(np.int16) + 1).astype(np.uint8).reshape(-1, 4, 32)
    packed = (q[:, 0] << 6) | (q[:, 1] << 4) | (q[:, 2] << 2) | q[:, 3]
    out = np.zeros(t.size // 4 + 32, dtype=np.uint8)
    out[: t.size // 4] = packed.reshape(-1)
    out[t.size // 4 : t.size // 4 + 4] = np.frombuffer(np.float32(scale).tobytes(), dtype=np.uint8)
    return out


def write_i2s():
    path = os.path.join(HERE, "i2s.gguf")
    w = gguf.GGUFWriter(path, arch="bitnet")
    w.add_custom_alignment(64)  # general.alignment (uint32), and the writer pads to it
    shape = (4, 256)  # numpy order: 4 rows of 256; ggml dims [256, 4]
    t = trits(shape)
    scale = np.float32(0.8125)
    raw = i2s_bytes(t, scale)
    # Added as int8 [2, len/2] so the writer lays out len bytes; patched below.
    w.add_tensor("t.i2_s", raw.view(np.int8).reshape(2, -1))
    small = rng.standard_normal(8).astype(np.float32)
    w.add_tensor("t.after", small)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    data = bytearray(open(path, "rb").read())
    name = b"t.i2_s"
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    n_dims, d0, d1, ty = struct.unpack_from("<IQQI", data, at)
    assert (n_dims, d0, d1, ty) == (2, len(raw) // 2, 2, int(Q.I8)), (n_dims, d0, d1, ty)
    struct.pack_into("<IQQI", data, at, 2, 256, 4, 36)  # GGML_TYPE_I2_S = 36 (BitNet fork)
    open(path, "wb").write(bytes(data))
    save("i2s.t.i2_s.trits.npy", t)
    save("i2s.t.i2_s.scales.npy", np.array([scale], dtype=np.float32))
    save("i2s.t.after.npy", small)


if __name__ == "__main__":
    write_main()
    write_i2s()
    for f in sorted(os.listdir(HERE)):
        print(f, os.path.getsize(os.path.join(HERE, f)))
