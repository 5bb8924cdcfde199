import Foundation
import NMPJSON

// Reading a decoder from a Hugging Face checkpoint directory as published: `config.json`
// and one or more `*.safetensors` files holding the tensors under their checkpoint names
// (the same names as the .npy loader, DecoderWeights+NPY.swift).
//
// The ternary projections come in one of three layouts (transformers
// src/transformers/integrations/bitnet.py):
//
// - packed (`BitLinear`, the default `linear_class` "bitlinear", e.g. a pre-quantized
//   BitNet b1.58 release): `weight` is uint8 `[out / 4, in]` (the buffer `BitLinear.__init__`
//   registers, `(out_features // VALUES_PER_ITEM, in_features)`), four trits per byte
//   stored as `code = w + 1`; `unpack_weights` gives rows `i * out/4 ..< (i + 1) * out/4`
//   of the unpacked matrix from bits `2i ..< 2i + 2` of the packed rows
//   (`unpacked[start:end] = (packed & mask) >> (2 * i)` with `start = i * packed_shape[0]`,
//   `mask = 3 << (2 * i)`; `return unpacked.to(dtype) - 1`), matching `pack_weights`.
//   `BitLinear.forward` ends in `post_quant_process(y, self.weight_scale, input_scale)`,
//   which is `input / (input_scale * weight_scale)`: the layer DIVIDES by the stored
//   `weight_scale`, so a +1 weight dequantizes to 1 / weight_scale.
// - packed for `AutoBitLinear` (config.json `quantization_config.linear_class`
//   "autobitlinear", offline mode): the same bytes (its `load_hook` calls `unpack_weights`)
//   but `AutoBitLinear.forward` does `output = output * self.weight_scale`: it MULTIPLIES,
//   so a +1 weight dequantizes to weight_scale.
// - latent (online quantization, `AutoBitLinear` with `online_quant`): a float `weight`
//   `[out, in]` without `weight_scale`, ternarized at run time by `WeightQuant.forward`
//   (absmean): `BitNetReference.quantizeWeights`. A float weight WITH a `weight_scale` is
//   `AutoBitLinear` offline unpacked: its values must already be -1, 0 or +1 and the scale
//   multiplies.

extension DecoderWeights {
    /// Loads a decoder from `directory`: `config.json` (as `load(directory:)` reads it) and
    /// every `*.safetensors` file of the directory (sorted by name; a tensor in two files is
    /// an error), read through `SafeTensorsFile` (memory-mapped; tensors read by name).
    ///
    /// Tensors, named as in `load(directory:)`:
    /// - `model.embed_tokens.weight` `[vocab, hidden]`, the norm weights, and `lm_head.weight`
    ///   (only when `tie_word_embeddings` is false): BF16, or F32 / F16 values that bf16
    ///   represents exactly; finite. Kept as bf16 bit patterns.
    /// - each projection `<name>.weight`, in one of these layouts:
    ///   - U8 `[out / 4, in]`, packed as transformers' `pack_weights` packs (row block `i`
    ///     of the unpacked matrix in bits `2i, 2i + 1`, code = trit + 1; a code 3 is an
    ///     error naming the first bad byte), with `<name>.weight_scale` (BF16, F16 or F32,
    ///     shape `[1]` or `[]`, finite and non-zero). `TernaryWeights.scale` (the value a
    ///     +1 weight dequantizes to) is `1 / weight_scale`, because `BitLinear.forward`
    ///     divides by it (`post_quant_process`: `input / (input_scale * weight_scale)`),
    ///     unless config.json's `quantization_config.linear_class` is "autobitlinear",
    ///     whose `forward` multiplies (`output * self.weight_scale`): then it is
    ///     `weight_scale` itself.
    ///   - BF16 / F16 / F32 `[out, in]` without a `weight_scale`: latent weights,
    ///     ternarized by `BitNetReference.quantizeWeights` (absmean, HF `WeightQuant`).
    ///   - BF16 / F16 / F32 `[out, in]` of -1, 0, +1 with a `weight_scale`
    ///     (`AutoBitLinear` offline, unpacked): the scale multiplies.
    ///
    /// Throws a `DecoderLoadError` naming the file (the directory for a missing tensor) and
    /// the tensor: a missing `config.json` or no `.safetensors` file, a malformed file (the
    /// `SafeTensorsError`'s field and message), a tensor in two files, a missing tensor, a
    /// wrong dtype or shape, a code 3, a non-trit or non-finite value, a bad scale. Never traps.
    public static func load(safetensorsDirectory directory: String) throws(DecoderLoadError) -> DecoderWeights {
        try source(safetensorsDirectory: directory).weights()
    }

    /// The weights of a safetensors checkpoint directory, read when asked for: the config
    /// and every file's header are read and checked now, the tensors piece by piece.
    public static func source(safetensorsDirectory directory: String) throws(DecoderLoadError) -> DecoderWeightSource {
        let (config, configPath, configBytes) = try loadConfig(directory: directory)
        let divides = try linearClassDivides(configBytes, configPath: configPath)
        let names = safetensorsFiles(directory)
        guard !names.isEmpty else { throw DecoderLoadError(file: directory, tensor: "", message: "no .safetensors file beside config.json") }
        var files: [SafeTensorsFile] = []
        var owner: [String: Int] = [:]
        for name in names {
            let file: SafeTensorsFile
            do {
                file = try SafeTensorsFile(path: path(directory, name))
            } catch {
                throw DecoderLoadError(error)
            }
            for tensor in file.names {
                if let first = owner[tensor] {
                    throw DecoderLoadError(file: file.path, tensor: tensor, message: "also in \(files[first].path) (a tensor may appear in one file only)")
                }
                owner[tensor] = files.count
            }
            files.append(file)
        }
        let reader = SafeTensorsReader(directory: directory, files: files, owner: owner, divides: divides)
        return DecoderWeightSource(config: config, reader: reader)
    }

    /// The names of the `*.safetensors` files in `directory`, sorted (none when unreadable).
    static func safetensorsFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
    }

    /// Whether packed layers divide by their `weight_scale`: true for `BitLinear` (no
    /// `quantization_config.linear_class`, or "bitlinear"), false for "autobitlinear".
    static func linearClassDivides(_ bytes: [UInt8], configPath: String) throws(DecoderLoadError) -> Bool {
        // ModelConfig has accepted the document, so it parses; anything else is "absent".
        guard case .object(let root)? = try? StrictJSON.parse(bytes, maxDepth: 128),
              let quantization = root.first(where: { $0.0 == "quantization_config" })?.1,
              case .object(let fields) = quantization,
              let linearClass = fields.first(where: { $0.0 == "linear_class" })?.1 else { return true }
        switch linearClass {
        case .string("bitlinear"): return true
        case .string("autobitlinear"): return false
        default:
            throw DecoderLoadError(file: configPath, tensor: "",
                                   message: "field 'quantization_config.linear_class': \(linearClass.summary), expected \"bitlinear\" or \"autobitlinear\"")
        }
    }
}

extension DecoderLoadError {
    /// A safetensors reader's error as a loader error (the field goes into the message).
    init(_ error: SafeTensorsError) {
        self.init(file: error.file, tensor: error.tensor, message: error.field.isEmpty ? error.message : "field '\(error.field)': \(error.message)")
    }
}

/// Reads and checks the tensors of a directory's safetensors files against its config.
private struct SafeTensorsReader: CheckpointTensors {
    let directory: String
    let files: [SafeTensorsFile]
    var source: String { directory }
    let owner: [String: Int]
    /// Whether packed layers divide by their scale (`BitLinear`) or multiply (`AutoBitLinear`).
    let divides: Bool

    func file(_ tensor: String) throws(DecoderLoadError) -> SafeTensorsFile {
        guard let index = owner[tensor] else {
            throw DecoderLoadError(file: directory, tensor: tensor, message: "missing tensor (in none of the \(files.count) .safetensors files)")
        }
        return files[index]
    }

    func has(_ tensor: String) -> Bool { owner[tensor] != nil }

    func info(_ tensor: String) throws(DecoderLoadError) -> (SafeTensorsFile, SafeTensorInfo) {
        let f = try file(tensor)
        do { return (f, try f.info(tensor)) } catch { throw DecoderLoadError(error) }
    }

    func floats(_ f: SafeTensorsFile, _ tensor: String) throws(DecoderLoadError) -> [Float] {
        do { return try f.floats(tensor) } catch { throw DecoderLoadError(error) }
    }

    /// A float tensor of `shape` whose values are finite bf16 values, as bf16 bit patterns.
    func bf16(_ tensor: String, shape: [Int], from fields: String) throws(DecoderLoadError) -> [UInt16] {
        let (f, info) = try info(tensor)
        let fail = { (message: String) in DecoderLoadError(file: f.path, tensor: tensor, message: message) }
        guard info.dtype.isFloat else { throw fail("dtype \(info.dtype.rawValue), expected BF16 (or F32 / F16 holding bf16 values)") }
        guard info.shape == shape else { throw fail("shape \(info.shape), expected \(shape) (\(fields) from config.json)") }
        return try bf16Bits(try floats(f, tensor), tensor: tensor, shape: shape, type: info.dtype.rawValue, file: f.path)
    }

    /// The one finite value of `<name>.weight_scale`.
    func scale(_ tensor: String) throws(DecoderLoadError) -> Float {
        let (f, info) = try info(tensor)
        let fail = { (message: String) in DecoderLoadError(file: f.path, tensor: tensor, message: message) }
        guard info.dtype.isFloat else { throw fail("dtype \(info.dtype.rawValue), expected BF16, F16 or F32") }
        guard info.shape == [] || info.shape == [1] else { throw fail("shape \(info.shape), expected [1] or [] (one scale per tensor)") }
        let value = try floats(f, tensor)[0]
        guard value.isFinite else { throw fail("scale \(value) is not finite") }
        return value
    }

    /// The trits and scale of projection `name` in whichever layout it is stored.
    func ternary(_ name: String, shape: LinearShape) throws(DecoderLoadError) -> TernaryWeights {
        let tensor = name + ".weight"
        let scaleTensor = name + ".weight_scale"
        let (f, info) = try info(tensor)
        let fail = { (message: String) in DecoderLoadError(file: f.path, tensor: tensor, message: message) }
        let rows = shape.outFeatures, columns = shape.inFeatures
        let unpacked = [rows, columns]
        switch info.dtype {
        case .u8:
            // BitLinear's buffer is (out_features // 4, in_features); unpacking gives 4x rows.
            guard rows % 4 == 0 else { throw fail("packed U8 weights need out_features divisible by 4, got \(rows) (from config.json)") }
            let packed = [rows / 4, columns]
            guard info.shape == packed else { throw fail("shape \(info.shape), expected \(packed) (out / 4, in) for packed U8 trits of \(unpacked) from config.json") }
            let bytes: [UInt8]
            do { bytes = try f.uint8s(tensor) } catch { throw DecoderLoadError(error) }
            let blockRows = rows / 4
            var trits = [Int8](repeating: 0, count: bytes.count * 4)
            for (k, byte) in bytes.enumerated() {
                for i in 0..<4 {
                    let code = (byte >> (2 * UInt8(i))) & 3
                    guard code != 3 else {
                        let row = k / columns, column = k % columns
                        throw fail("packed code 3 (bits \(2 * i)-\(2 * i + 1)) in byte [\(row), \(column)] (unpacked [\(i * blockRows + row), \(column)]) is not a trit code (0, 1, 2 for -1, 0, +1)")
                    }
                    // Row block i of the unpacked matrix (transformers `unpack_weights`).
                    trits[(i * blockRows) * columns + k] = Int8(code) - 1
                }
            }
            let stored = try scale(scaleTensor)
            let value: Float
            if divides {
                guard stored != 0, (1 / stored).isFinite else {
                    throw DecoderLoadError(file: try file(scaleTensor).path, tensor: scaleTensor,
                                           message: "scale \(stored) has no finite reciprocal (BitLinear divides by it)")
                }
                value = 1 / stored
            } else {
                value = stored
            }
            return TernaryWeights(rows: rows, columns: columns, trits: trits, scale: value)
        case .bf16, .f16, .f32:
            guard info.shape == unpacked else { throw fail("shape \(info.shape), expected \(unpacked) (out, in) from config.json") }
            let values = try floats(f, tensor)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw fail("value \(values[bad]) at index \(index(bad, unpacked)) is not finite")
            }
            if has(scaleTensor) {
                // AutoBitLinear offline with unpacked weights: already ternary, scale multiplies.
                if let bad = values.firstIndex(where: { $0 != -1 && $0 != 0 && $0 != 1 }) {
                    throw fail("value \(values[bad]) at index \(index(bad, unpacked)) is not -1, 0 or +1 (a float weight with a weight_scale must be ternary)")
                }
                return TernaryWeights(rows: rows, columns: columns, trits: values.map { Int8($0) }, scale: try scale(scaleTensor))
            }
            guard rows > 0, columns > 0 else { throw fail("shape \(unpacked) is empty: nothing to ternarize") }
            return BitNetReference.quantizeWeights(values, rows: rows, columns: columns)
        case .i8:
            throw fail("dtype I8, expected U8 (packed trits) or BF16 / F16 / F32 (latent weights)")
        }
    }
}
