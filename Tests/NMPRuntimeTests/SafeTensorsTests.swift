import Foundation
import NMPRuntime
import NMPTestSupport
import Testing

/// The safetensors reader and the checkpoint loader over it, against fixtures written by the
/// `safetensors` and `numpy` Python packages (Fixtures/safetensors/make_safetensors_fixtures.py):
/// the expected trits, scales and float tensors are the script's .npy files, computed there
/// independently (its own packing per transformers `pack_weights`, its own absmean).
struct SafeTensorsTests {
    static let root = repositoryRoot.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/safetensors")
    static let projections = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                              "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

    static func npy(_ folder: String, _ name: String) throws -> NPYArray {
        let url = root.appendingPathComponent(folder).appendingPathComponent(name + ".npy")
        return try NPY.read([UInt8](Data(contentsOf: url)), source: url.path)
    }

    /// Checks every trit, scale and float tensor of `weights` against `expected_<layout>`.
    /// `scaleTolerance` is relative: 0 for packed (the script divides exactly as the loader
    /// does), a few ulps for latent (numpy's pairwise mean sums in another order).
    static func check(_ weights: DecoderWeights, layout: String, scaleTolerance: Float) throws {
        let folder = "expected_" + layout
        let scales = try npy(folder, "scales").floats()
        #expect(weights.layers.count == 2)
        for (l, layer) in weights.layers.enumerated() {
            let mine = [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]
            for (p, name) in projections.enumerated() {
                let trits = try #require(try npy(folder, "model.layers.\(l).\(name).trits").int8s())
                #expect(mine[p].trits == trits, "layer \(l) \(name)")
                let expected = scales[l * 7 + p]
                #expect(abs(mine[p].scale - expected) <= scaleTolerance * abs(expected), "layer \(l) \(name): \(mine[p].scale) vs \(expected)")
            }
            let norms = [("input_layernorm", layer.inputNorm), ("post_attention_layernorm", layer.postAttentionNorm),
                         ("self_attn.attn_sub_norm", layer.attentionSubNorm), ("mlp.ffn_sub_norm", layer.ffnSubNorm)]
            for (name, bits) in norms {
                #expect(bits.map(BFloat16.float) == (try npy(folder, "model.layers.\(l).\(name).weight").floats()), "layer \(l) \(name)")
            }
        }
        #expect(weights.embedding.map(BFloat16.float) == (try npy(folder, "model.embed_tokens.weight").floats()))
        #expect(weights.finalNorm.map(BFloat16.float) == (try npy(folder, "model.norm.weight").floats()))
        #expect(weights.lmHead?.map(BFloat16.float) == (try npy(folder, "lm_head.weight").floats()))
    }

    @Test func packedCheckpointLoads() throws {
        let weights = try DecoderWeights.load(safetensorsDirectory: Self.root.appendingPathComponent("packed").path)
        try Self.check(weights, layout: "packed", scaleTolerance: 0)
    }

    @Test func latentBF16CheckpointLoads() throws {
        let weights = try DecoderWeights.load(safetensorsDirectory: Self.root.appendingPathComponent("latent").path)
        try Self.check(weights, layout: "latent", scaleTolerance: 4 * Float.ulpOfOne)
    }

    @Test func loadDirectoryDetectsSafeTensors() throws {
        let directory = Self.root.appendingPathComponent("packed").path
        #expect(try DecoderWeights.load(directory: directory) == DecoderWeights.load(safetensorsDirectory: directory))
    }

    @Test func readerSeesHeaderAndMetadata() throws {
        let file = try SafeTensorsFile(path: Self.root.appendingPathComponent("latent/model.safetensors").path)
        #expect(file.metadata == ["format": "pt"])
        let info = try file.info("model.layers.1.mlp.down_proj.weight")
        #expect(info.dtype == .bf16 && info.shape == [8, 12] && info.offsets.count == 8 * 12 * 2)
        #expect(file.names.count == 3 + 2 * (7 + 4))
    }

    @Test func autoBitLinearMultipliesByTheScale() throws {
        let scratch = try Scratch(copying: "packed")
        let config = try String(contentsOfFile: scratch.path("config.json"), encoding: .utf8)
        try config.replacingOccurrences(of: "\"bitlinear\"", with: "\"autobitlinear\"").write(toFile: scratch.path("config.json"), atomically: true, encoding: .utf8)
        let weights = try DecoderWeights.load(directory: scratch.directory)
        let scales = try Self.npy("expected_packed", "scales").floats()
        #expect(weights.layers[0].q.scale == 1 / scales[0])
    }

    // MARK: - Bad inputs, each made from a valid file by byte surgery in a temp directory

    /// A copy of a fixture directory in a temp directory, removed on deinit.
    final class Scratch {
        let directory: String
        init(copying layout: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("nmp-st-\(UUID().uuidString)").path
            try FileManager.default.copyItem(atPath: SafeTensorsTests.root.appendingPathComponent(layout).path, toPath: directory)
        }
        deinit { try? FileManager.default.removeItem(atPath: directory) }
        func path(_ name: String) -> String { directory + "/" + name }
        func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
        func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path(name))) }

        /// Rewrites the JSON header of `name` (re-padded, its length field updated).
        func editHeader(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
            let raw = try bytes(name)
            let n = Int(raw[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            var header = try #require(try JSONSerialization.jsonObject(with: Data(raw[8..<(8 + n)])) as? [String: Any])
            edit(&header)
            var text = [UInt8](try JSONSerialization.data(withJSONObject: header))
            text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
            let length = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(text.count) >> (8 * UInt64($0))) }
            try write(name, length + text + raw[(8 + n)...])
        }

        /// The data offsets of `tensor` in `name`, relative to the data buffer, and where
        /// the buffer starts.
        func offsets(_ name: String, _ tensor: String) throws -> (Range<Int>, dataStart: Int) {
            let raw = try bytes(name)
            let n = Int(raw[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            guard let header = try JSONSerialization.jsonObject(with: Data(raw[8..<(8 + n)])) as? [String: Any],
                  let entry = header[tensor] as? [String: Any], let pair = entry["data_offsets"] as? [Int] else {
                throw CocoaError(.fileReadCorruptFile)  // no such tensor in this file
            }
            return (pair[0]..<pair[1], 8 + n)
        }
    }

    /// Loads `scratch` and returns the error (recording an issue when it loads).
    static func loadError(_ scratch: Scratch) -> DecoderLoadError? {
        do {
            _ = try DecoderWeights.load(safetensorsDirectory: scratch.directory)
            Issue.record("a broken checkpoint loaded")
            return nil
        } catch {
            return error
        }
    }

    static let file = "model.safetensors"
    static let norm = "model.layers.0.input_layernorm.weight"

    @Test func headerLengthBeyondTheFile() throws {
        let s = try Scratch(copying: "latent")
        var raw = try s.bytes(Self.file)
        let size = UInt64(raw.count)
        for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(i))) }
        try s.write(Self.file, raw)
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file))
        #expect(error.message.contains("field 'header length'"), "\(error)")
    }

    @Test func invalidJSONHeader() throws {
        let s = try Scratch(copying: "latent")
        var raw = try s.bytes(Self.file)
        let close = try #require(raw[8...].firstIndex(of: UInt8(ascii: ":")))
        raw[close] = UInt8(ascii: ";")
        try s.write(Self.file, raw)
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file))
        #expect(error.message.contains("field 'header'") && error.message.contains("line 1, column"), "\(error)")
    }

    @Test func unsupportedDType() throws {
        let s = try Scratch(copying: "latent")
        try s.editHeader(Self.file) { header in
            var entry = header[Self.norm] as! [String: Any]
            entry["dtype"] = "F64"
            header[Self.norm] = entry
        }
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file) && error.tensor == Self.norm)
        #expect(error.message.contains("field 'dtype'") && error.message.contains("'F64' is not supported"), "\(error)")
    }

    @Test func offsetsOutsideTheData() throws {
        let s = try Scratch(copying: "latent")
        let (range, start) = try s.offsets(Self.file, Self.norm)
        let dataSize = try s.bytes(Self.file).count - start
        try s.editHeader(Self.file) { header in
            var entry = header[Self.norm] as! [String: Any]
            entry["data_offsets"] = [range.lowerBound, dataSize + 16]
            header[Self.norm] = entry
        }
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file) && error.tensor == Self.norm)
        #expect(error.message.contains("field 'data_offsets'") && error.message.contains("beyond the data buffer"), "\(error)")
    }

    @Test func overlappingTensors() throws {
        let s = try Scratch(copying: "latent")
        // Two tensors of 8 bf16 each; the later one is pointed at the earlier one's bytes.
        let a = "model.layers.0.input_layernorm.weight", b = "model.layers.0.post_attention_layernorm.weight"
        let (ra, _) = try s.offsets(Self.file, a), (rb, _) = try s.offsets(Self.file, b)
        let (first, second) = ra.lowerBound < rb.lowerBound ? (ra, b) : (rb, a)
        try s.editHeader(Self.file) { header in
            var entry = header[second] as! [String: Any]
            entry["data_offsets"] = [first.lowerBound, first.upperBound]
            header[second] = entry
        }
        let error = try #require(Self.loadError(s))
        // Sorted by offset then name, the later name is the one found overlapping the other.
        #expect(error.file == s.path(Self.file) && error.tensor == b && error.message.contains("overlaps tensor '\(a)'"), "\(error)")
        _ = second
    }

    @Test func shapeDoesNotMatchTheBytes() throws {
        let s = try Scratch(copying: "latent")
        try s.editHeader(Self.file) { header in
            var entry = header[Self.norm] as! [String: Any]
            entry["shape"] = [9]
            header[Self.norm] = entry
        }
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file) && error.tensor == Self.norm)
        #expect(error.message.contains("hold 16 bytes, expected 18"), "\(error)")
    }

    @Test func shapeOtherThanTheConfig() throws {
        let s = try Scratch(copying: "latent")
        try s.editHeader(Self.file) { header in
            var entry = header[Self.norm] as! [String: Any]
            entry["shape"] = [2, 4]
            header[Self.norm] = entry
        }
        let error = try #require(Self.loadError(s))
        #expect(error.tensor == Self.norm && error.message.contains("shape [2, 4], expected [8]"), "\(error)")
    }

    @Test func packedCode3() throws {
        let s = try Scratch(copying: "packed")
        let tensor = "model.layers.1.self_attn.q_proj.weight"
        let name = try #require(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].first {
            (try? s.offsets($0, tensor)) != nil
        })
        let (range, start) = try s.offsets(name, tensor)
        var raw = try s.bytes(name)
        // Byte [1, 2] of the packed [2, 8]: code 3 in bits 4-5 is unpacked row 2 * 2 + 1.
        raw[start + range.lowerBound + 8 + 2] = 0b00_11_01_01
        try s.write(name, raw)
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(name) && error.tensor == tensor)
        #expect(error.message.contains("packed code 3 (bits 4-5) in byte [1, 2] (unpacked [5, 2])"), "\(error)")
    }

    @Test func missingTensor() throws {
        let s = try Scratch(copying: "latent")
        try s.editHeader(Self.file) { header in
            header["renamed"] = header.removeValue(forKey: "model.norm.weight")
        }
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.directory && error.tensor == "model.norm.weight" && error.message.contains("missing tensor"), "\(error)")
    }

    @Test func tensorInTwoFiles() throws {
        let s = try Scratch(copying: "packed")
        try FileManager.default.copyItem(atPath: s.path("model-00001-of-00002.safetensors"), toPath: s.path("model-00003-of-00002.safetensors"))
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path("model-00003-of-00002.safetensors") && !error.tensor.isEmpty && error.message.contains("also in"), "\(error)")
    }

    @Test func directoryWithoutConfig() throws {
        let s = try Scratch(copying: "latent")
        try FileManager.default.removeItem(atPath: s.path("config.json"))
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path("config.json") && error.message == "missing file", "\(error)")
    }

    @Test(arguments: [0, 3, 100, 4000])
    func truncatedFile(_ keep: Int) throws {
        let s = try Scratch(copying: "latent")
        try s.write(Self.file, Array(try s.bytes(Self.file).prefix(keep)))
        let error = try #require(Self.loadError(s))
        #expect(error.file == s.path(Self.file))
        // Cut in the length field or the header: the header length; in the data: the last tensor's offsets.
        #expect(error.message.contains(keep < 1000 ? "field 'header length'" : "field 'data_offsets'"), "\(error)")
        #expect(keep < 1000 || !error.tensor.isEmpty, "\(error)")
    }

    #if os(Linux)
    /// The file is mapped, not read: opening a 1 GiB (sparse) checkpoint and reading one
    /// small tensor of it leaves the resident set far below the file's size.
    @Test func largeFileIsMappedNotRead() throws {
        let s = try Scratch(copying: "latent")
        let big = 1 << 30
        let header = Array(#"{"small":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"big":{"dtype":"U8","shape":[\#(big - 8)],"data_offsets":[8,\#(big)]}}"#.utf8)
        let length = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) }
        let path = s.path("big.safetensors")
        try s.write("big.safetensors", length + header + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(8 + header.count + big))  // a hole: no disk, no pages
        try handle.close()
        func residentBytes() throws -> Int {
            let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
            return (Int(statm[1]) ?? 0) * Int(getpagesize())
        }
        let before = try residentBytes()
        let file = try SafeTensorsFile(path: path)
        #expect(try file.floats("small") == [1, 2])
        #expect(try file.info("big").count == big - 8)
        let grown = try residentBytes() - before
        #expect(grown < 64 << 20, "resident set grew by \(grown) bytes for a \(big)-byte file")
    }
    #endif

    @Test func trailingBytesAndHoles() throws {
        let s = try Scratch(copying: "latent")
        try s.write(Self.file, try s.bytes(Self.file) + [0, 0])
        let error = try #require(Self.loadError(s))
        #expect(error.message.contains("trailing bytes belong to no tensor"), "\(error)")
    }

    @Test func floatNotInBF16() throws {
        // The packed fixture's norms are F32; a value with low mantissa bits is not bf16.
        let s = try Scratch(copying: "packed")
        let tensor = "model.norm.weight"
        let name = try #require(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"].first {
            (try? s.offsets($0, tensor)) != nil
        })
        let (range, start) = try s.offsets(name, tensor)
        var raw = try s.bytes(name)
        raw[start + range.lowerBound + 4] ^= 1  // the low byte of element 1
        try s.write(name, raw)
        let error = try #require(Self.loadError(s))
        #expect(error.tensor == tensor && error.message.contains("at index [1]") && error.message.contains("not exactly representable in bf16"), "\(error)")
    }

    @Test func readerErrorsNameTheField() {
        func error(_ header: String, data: Int = 0) -> SafeTensorsError? {
            var text = Array(header.utf8)
            let length = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(text.count) >> (8 * UInt64($0))) }
            text = length + text + [UInt8](repeating: 0, count: data)
            do {
                _ = try SafeTensorsFile(bytes: Data(text), path: "x.safetensors")
                return nil
            } catch {
                return error
            }
        }
        #expect(error(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: 8) == nil)
        #expect(error(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, data: 8)?.description
                == "x.safetensors: tensor 'a': field 'data_offsets': [8, 0]: begin is after end")
        #expect(error(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": 1}}"#, data: 8)?.field == "x")
        #expect(error(#"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#, data: 8)?.message.contains("more than 2^63") == true)
        #expect(error(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {}}"#, data: 8)?.tensor == "a")
        #expect(error(#"{"__metadata__": {"k": 1}}"#)?.field == "__metadata__")
        #expect(error(#"[]"#)?.field == "header")
        #expect(error(#"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#, data: 4)?.message.contains("leaving bytes 0 ..< 2") == true)
    }
}
