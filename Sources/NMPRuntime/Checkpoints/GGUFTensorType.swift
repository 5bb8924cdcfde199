// ggml tensor types: their ids, names and storage (block size in elements, bytes per block)
// from ggml-org/llama.cpp gguf-py/gguf/constants.py `GGMLQuantizationType` and
// `GGML_QUANT_SIZES` (the same numbers as ggml/include/ggml.h `enum ggml_type` and the
// `type_traits` of ggml/src/ggml.c), plus I2_S, type 36 of microsoft/BitNet's ggml fork.
// Every known type is sized (to check the data layout of a whole file); only the types of
// `GGMLType.decodable` are decoded.

/// A ggml tensor type id, with its name and storage when ggml defines it.
public struct GGMLType: Hashable, Sendable, CustomStringConvertible {
    /// The id in the file (ggml.h `enum ggml_type`).
    public let rawValue: UInt32

    /// The type with id `rawValue` (known or not).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let bf16 = GGMLType(rawValue: 30)
    public static let tq1_0 = GGMLType(rawValue: 34)
    public static let tq2_0 = GGMLType(rawValue: 35)
    /// microsoft/BitNet's 2-bit ternary type (its ggml fork's `GGML_TYPE_I2_S`).
    public static let i2_s = GGMLType(rawValue: 36)

    /// The types nmp decodes.
    public static let decodable: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .tq1_0, .tq2_0, .i2_s]

    /// (name, elements per block, bytes per block), constants.py GGML_QUANT_SIZES.
    static let table: [UInt32: (name: String, block: Int, bytes: Int)] = {
        let k = 256                                      // QK_K
        return [
            0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
            6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
            10: ("Q2_K", k, 4 + k / 16 + k / 4), 11: ("Q3_K", k, 2 + k / 4 + k / 8 + 12),
            12: ("Q4_K", k, 4 + k / 2 + 12), 13: ("Q5_K", k, 4 + k / 2 + k / 8 + 12),
            14: ("Q6_K", k, 2 + k / 2 + k / 4 + k / 16), 15: ("Q8_K", k, 4 + k + k / 8),
            16: ("IQ2_XXS", k, 2 + k / 4), 17: ("IQ2_XS", k, 2 + k / 4 + k / 32),
            18: ("IQ3_XXS", k, 2 + k / 4 + k / 8), 19: ("IQ1_S", k, 2 + k / 8 + k / 16),
            20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", k, 2 + k / 4 + k / 8 + k / 32 + 4),
            22: ("IQ2_S", k, 2 + k / 4 + k / 16), 23: ("IQ4_XS", k, 4 + k / 2 + k / 64),
            24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
            29: ("IQ1_M", k, k / 8 + k / 16 + k / 32), 30: ("BF16", 1, 2),
            34: ("TQ1_0", k, 2 + 4 * 13), 35: ("TQ2_0", k, 2 + 64),
            // I2_S: 4 trits a byte plus a 32-byte tail holding the float32 scale; sized by
            // `byteCount(elements:)`, not by blocks (BitNet quantize_i2_s returns n / 4 + 32).
            36: ("I2_S", 1, 1),
            39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
        ]
    }()

    /// The ggml name ("Q4_K"), or "type <id>" for an id ggml does not define.
    public var name: String { Self.table[rawValue]?.name ?? "type \(rawValue)" }
    public var description: String { name }

    /// Whether ggml defines this id (so its data can be sized).
    public var isKnown: Bool { Self.table[rawValue] != nil }

    /// Elements per block (1 for F32, F16, BF16 and I2_S); nil for an unknown id.
    public var blockSize: Int? { Self.table[rawValue]?.block }

    /// The bytes of `elements` values (a multiple of `blockSize`); nil for an unknown id or
    /// when the count overflows.
    public func byteCount(elements: Int) -> Int? {
        guard let entry = Self.table[rawValue], elements >= 0, elements % entry.block == 0 else { return nil }
        if self == .i2_s { return elements / 4 + 32 }
        let (bytes, overflow) = (elements / entry.block).multipliedReportingOverflow(by: entry.bytes)
        return overflow ? nil : bytes
    }
}

/// Exact conversions of the 16-bit float formats, as ggml defines them.
enum GGUFFloat {
    /// IEEE half to float (ggml `GGML_FP16_TO_FP32`; every half is a float exactly).
    static func half(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h >> 15) << 31
        let exponent = UInt32((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0x1f {                                 // inf, NaN (payload kept)
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {                                    // zero, subnormal: m * 2^-24
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))   // rebias 15 -> 127
    }

    /// bfloat16 to float: the high half of a float32 (ggml-impl.h `ggml_compute_bf16_to_fp32`).
    static func bf16(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
}

/// The decoders of the block formats, over one tensor's bytes (already checked to be
/// exactly `byteCount(elements:)` long).
enum GGUFDecode {
    static func u16(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    /// Q8_0 (ggml-common.h `block_q8_0`: fp16 `d`, then 32 int8 `qs`, 34 bytes); value j of
    /// a block is `qs[j] * d` in float32 (ggml-quants.c `dequantize_row_q8_0`).
    static func q8_0(_ p: UnsafeRawBufferPointer, elements: Int) -> [Float] {
        var out = [Float](repeating: 0, count: elements)
        for block in 0..<(elements / 32) {
            let base = block * 34
            let d = GGUFFloat.half(u16(p, base))
            for j in 0..<32 { out[block * 32 + j] = Float(Int8(bitPattern: p[base + 2 + j])) * d }
        }
        return out
    }

    /// TQ1_0 trit codes (0, 1, 2 for -1, 0, +1) and block scales. ggml-common.h `block_tq1_0`
    /// (54 bytes per 256 weights): `qs[48]`, `qh[4]`, fp16 `d`. Each byte holds 5 (qs) or 4
    /// (qh) trits as a base-3 fixed-point fraction: trit n of byte q is the top "digit" of
    /// `q * 3^n` (mod 256), i.e. `((q * 3^n) & 255) * 3 >> 8`. Order (gguf-py quants.py
    /// `TQ1_0.dequantize_blocks`, the same as ggml-quants.c `dequantize_row_tq1_0`):
    /// element `n * 32 + m` from `qs[m]` (n < 5, m < 32), then `160 + n * 16 + m` from
    /// `qs[32 + m]` (m < 16), then `240 + n * 4 + m` from `qh[m]` (n, m < 4).
    static func tq1_0(_ p: UnsafeRawBufferPointer, elements: Int, into codes: inout [UInt8], scales: inout [Float]) {
        let pow3: [Int] = [1, 3, 9, 27, 81]
        func digit(_ byte: UInt8, _ n: Int) -> UInt8 { UInt8((((Int(byte) * pow3[n]) & 255) * 3) >> 8) }
        for block in 0..<(elements / 256) {
            let base = block * 54, out = block * 256
            for n in 0..<5 {
                for m in 0..<32 { codes[out + n * 32 + m] = digit(p[base + m], n) }
                for m in 0..<16 { codes[out + 160 + n * 16 + m] = digit(p[base + 32 + m], n) }
            }
            for n in 0..<4 {
                for m in 0..<4 { codes[out + 240 + n * 4 + m] = digit(p[base + 48 + m], n) }
            }
            scales.append(GGUFFloat.half(u16(p, base + 52)))
        }
    }

    /// TQ2_0 trit codes and block scales. ggml-common.h `block_tq2_0` (66 bytes per 256
    /// weights): `qs[64]`, fp16 `d`. Element `j * 128 + l * 32 + m` is bits `2l...2l+1` of
    /// `qs[j * 32 + m]` (j < 2, l < 4, m < 32), code minus 1 is the trit (quants.py
    /// `TQ2_0.dequantize_blocks`, ggml-quants.c `dequantize_row_tq2_0`). Code 3 is not a
    /// trit; ggml would read it as +2.
    static func tq2_0(_ p: UnsafeRawBufferPointer, elements: Int, into codes: inout [UInt8], scales: inout [Float]) {
        for block in 0..<(elements / 256) {
            let base = block * 66, out = block * 256
            for j in 0..<2 {
                for l in 0..<4 {
                    for m in 0..<32 { codes[out + j * 128 + l * 32 + m] = (p[base + j * 32 + m] >> (2 * l)) & 3 }
                }
            }
            scales.append(GGUFFloat.half(u16(p, base + 64)))
        }
    }

    /// I2_S trit codes and the tensor scale, in the layout microsoft/BitNet writes (commit
    /// 16da220): utils/convert-hf-to-gguf-bitnet.py `quantize_to_i2_s` (lines 700-725) and
    /// src/ggml-bitnet-mad.cpp `quantize_i2_s`, x86 with `ACT_PARALLEL` (include/gemm-config.h
    /// defines it; QK_I2_S = 128, lines 81-91). Blocks of 128 elements in 32 bytes; element
    /// j of block i is bits `6 - 2 * (j / 32)` (2 bits) of byte `i * 32 + j % 32`; the code
    /// is trit + 1 (0, 1, 2; 3 is not a trit). After the `n / 4` data bytes, one float32
    /// scale (the value of a +1), then padding to `n / 4 + 32` bytes. (BitNet's ARM build
    /// uses 64-element blocks and the non-ACT_PARALLEL x86 build interleaves rows; files
    /// from the converter have this layout.)
    static func i2_s(_ p: UnsafeRawBufferPointer, elements: Int, into codes: inout [UInt8], scales: inout [Float]) {
        codes.withUnsafeMutableBufferPointer { out in
            for i in 0..<(elements / 128) {
                for j in 0..<32 {
                    let byte = p[i * 32 + j]
                    for part in 0..<4 { out[i * 128 + 32 * part + j] = (byte >> (6 - 2 * part)) & 3 }
                }
            }
        }
        scales.append(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: elements / 4, as: UInt32.self))))
    }
}
