// A reader of GGUF checkpoints (versions 2 and 3), the file format of ggml and llama.cpp:
// ggml-org/ggml docs/gguf.md. The header, metadata and tensor infos are parsed and checked
// when the file is opened; tensor data is decoded only when asked for, one tensor at a time,
// straight from a memory map of the file, so a checkpoint of gigabytes costs in memory only
// the tensors being decoded. Layout: GGUFMetadata.swift (header, values), GGUFTensorInfo.swift,
// GGUFTensorType.swift (types and block decoders), GGUFMappedFile.swift.

/// A GGUF file: its metadata and tensor infos, and the decoding of each tensor.
///
/// Opening checks every structural rule, so that decoding a tensor cannot read outside the
/// file: magic `GGUF`, version 2 or 3, counts and string and array lengths that fit in the
/// bytes left, UTF-8 keys and names without duplicates, `general.alignment` (uint32, a power
/// of two; 32 when absent), at most 4 dimensions, a known ggml type with whole blocks along
/// `ne[0]`, and tensor data aligned, inside the file and not overlapping other tensors.
public final class GGUFFile: Sendable {
    /// The path of the file (or the name given to bytes in memory), for errors.
    public let path: String
    /// The format version, 2 or 3.
    public let version: UInt32
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The metadata values by key.
    public let metadata: [String: GGUFValue]
    /// The tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// The data alignment: `general.alignment`, or 32 (gguf.md `GGUF_DEFAULT_ALIGNMENT`).
    public let alignment: Int
    /// The file offset of the data section (a multiple of `alignment`).
    public let dataOffset: Int

    private let storage: GGUFStorage
    private let index: [String: Int]

    /// Opens the file at `path`, mapping it into memory (nothing of the tensor data is read).
    public convenience init(path: String) throws(GGUFError) {
        try self.init(storage: try GGUFStorage(mapping: path), path: path)
    }

    /// Reads a GGUF file held in memory; `source` names it in errors.
    public convenience init(bytes: [UInt8], source: String) throws(GGUFError) {
        try self.init(storage: GGUFStorage(copying: bytes), path: source)
    }

    private init(storage: GGUFStorage, path: String) throws(GGUFError) {
        self.storage = storage
        self.path = path
        var cursor = GGUFCursor(bytes: storage.bytes, file: path)
        // The header: "GGUF" is the uint32 0x46554747 read little-endian (gguf.md).
        let magic = try cursor.take(4, "header magic")
        guard Array(magic) == Array("GGUF".utf8) else {
            throw GGUFError(file: path, message: "header: magic \(Array(magic).map(hex).joined(separator: " ")) is not 'GGUF' (47 47 55 46)")
        }
        version = try cursor.u32("header version")
        guard version == 2 || version == 3 else {
            throw GGUFError(file: path, message: "header: version \(version) is not supported (2 or 3)")
        }
        // A tensor info is at least name length + n_dims + type + offset = 24 bytes; a
        // metadata pair at least key length + value type + a 1-byte value = 13.
        let tensorCount = try cursor.count("header: tensor count", itemBytes: 24)
        let pairCount = try cursor.count("header: metadata pair count", itemBytes: 13)

        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(pairCount)
        for i in 0..<pairCount {
            cursor.key = ""
            let key = try cursor.string("metadata pair \(i) of \(pairCount): key")
            // An empty key could not be named by the errors about its value (found by
            // fuzz/FuzzGGUF.swift); llama.cpp's keys are dotted paths, never empty.
            guard !key.isEmpty else { throw cursor.error("metadata pair \(i) of \(pairCount): empty key") }
            cursor.key = key
            guard values[key] == nil else { throw cursor.error("duplicate metadata key") }
            let typeAt = cursor.offset
            let rawType = try cursor.u32("value type")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw cursor.error("value type \(rawType) at offset \(typeAt) is not a GGUF value type (0...12)")
            }
            values[key] = try cursor.value(type)
            keys.append(key)
        }
        metadataKeys = keys
        metadata = values

        // general.alignment: a uint32 power of two (gguf.md "general.alignment"; llama.cpp
        // gguf.cpp reads it as u32 and rejects zero and non-powers of two).
        if let value = values["general.alignment"] {
            guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
                // Only a number is quoted: the value may be an array of any length (an
                // error quoting it whole was found by fuzz/FuzzGGUF.swift).
                let got = if case .uint32(let a) = value { "\(a)" } else { "a value of type \(value.type)" }
                throw GGUFError(file: path, key: "general.alignment", message: "alignment \(got) must be a uint32 power of two")
            }
            alignment = Int(a)
        } else {
            alignment = 32
        }

        var infos: [GGUFTensorInfo] = []
        var names: [String: Int] = [:]
        infos.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let info = try cursor.tensorInfo(index: i, of: tensorCount)
            guard names[info.name] == nil else { throw cursor.error("duplicate tensor name") }
            names[info.name] = i
            infos.append(info)
        }
        tensors = infos
        index = names

        // The data section starts at the next multiple of the alignment (gguf.md).
        let end = cursor.offset
        dataOffset = (end + alignment - 1) / alignment * alignment
        try Self.checkLayout(infos, path: path, dataOffset: dataOffset, alignment: alignment, fileSize: storage.bytes.count)
    }

    /// Every tensor's data aligned, inside the file and apart from the others.
    private static func checkLayout(_ infos: [GGUFTensorInfo], path: String, dataOffset: Int, alignment: Int, fileSize: Int) throws(GGUFError) {
        let available = max(0, fileSize - dataOffset)
        for info in infos {
            let fail = { (m: String) in GGUFError(file: path, tensor: info.name, message: m) }
            guard info.offset % alignment == 0 else {
                throw fail("\(info.type.name) data offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= available, info.byteCount <= available - info.offset else {
                throw fail("\(info.type.name) data of \(info.byteCount) bytes at data offset \(info.offset) ends beyond the file (\(available) bytes of data from file offset \(dataOffset))")
            }
        }
        let sorted = infos.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw GGUFError(file: path, tensor: b.name,
                            message: "\(b.type.name) data at data offset \(b.offset) overlaps tensor '\(GGUFError.clipped(a.name))' (\(a.offset) ..< \(a.offset + a.byteCount))")
        }
    }

    /// The value of metadata `key`, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// The info of tensor `name`; throws when the file has none of that name.
    public func tensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let i = index[name] else { throw GGUFError(file: path, tensor: name, message: "no such tensor in the file") }
        return tensors[i]
    }

    /// The raw bytes of tensor `name` (a view of the map, valid during `body`; its pages are
    /// released from the resident set afterwards).
    func withData<R>(_ info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws(GGUFError) -> R) throws(GGUFError) -> R {
        let start = dataOffset + info.offset
        defer { storage.release(start ..< start + info.byteCount) }
        return try body(UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + info.byteCount)]))
    }

    private func unsupported(_ info: GGUFTensorInfo, _ what: String) -> GGUFError {
        GGUFError(file: path, tensor: info.name,
                  message: "type \(info.type.name) is not one nmp decodes \(what)")
    }

    /// The values of tensor `name` as float32, in ggml order (`ne[0]` fastest, i.e. numpy's
    /// row-major order of `shape`), as ggml dequantizes them: F32 as is, F16 and BF16
    /// widened exactly, Q8_0 `int8 * d`, TQ1_0 and TQ2_0 `trit * d` per 256-value block,
    /// I2_S `trit * scale` (a TQ2_0 or I2_S code 3 gives 2 * scale, as their kernels would).
    /// Throws naming the tensor for a missing tensor or a type nmp does not decode.
    public func floats(_ name: String) throws(GGUFError) -> [Float] {
        let info = try tensor(name)
        let n = info.elementCount
        switch info.type {
        case .f32:
            return try withData(info) { p in (0..<n).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        case .f16:
            return try withData(info) { p in (0..<n).map { GGUFFloat.half(GGUFDecode.u16(p, 2 * $0)) } }
        case .bf16:
            return try withData(info) { p in (0..<n).map { GGUFFloat.bf16(GGUFDecode.u16(p, 2 * $0)) } }
        case .q8_0:
            return try withData(info) { p in GGUFDecode.q8_0(p, elements: n) }
        case .tq1_0, .tq2_0, .i2_s:
            let (codes, scales, block) = try ternaryCodes(info)
            return codes.indices.map { Float(Int(codes[$0]) - 1) * scales[$0 / block] }
        default:
            throw unsupported(info, "(F32, F16, BF16, Q8_0, TQ1_0, TQ2_0, I2_S)")
        }
    }

    /// The raw 16-bit patterns of an F16 or BF16 tensor `name` in ggml order (a table of
    /// gigabytes is read without widening it to float32). Throws naming the tensor for a
    /// missing tensor or another type.
    public func halves(_ name: String) throws(GGUFError) -> [UInt16] {
        let info = try tensor(name)
        guard info.type == .f16 || info.type == .bf16 else { throw unsupported(info, "as 16-bit values (F16, BF16)") }
        return try withData(info) { p in
            [UInt16](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
                for i in 0..<info.elementCount { buffer[i] = GGUFDecode.u16(p, 2 * i) }
                count = info.elementCount
            }
        }
    }

    /// The trits of ternary tensor `name` (TQ1_0, TQ2_0 or I2_S) in ggml order, with their
    /// scales: one per 256-value block for TQ1_0 and TQ2_0 (the block's fp16 `d`), one for
    /// the tensor for I2_S. Throws naming the tensor for a missing tensor, another type, an
    /// I2_S tensor whose size is not a multiple of 128, or a 2-bit code 3 (not a trit).
    public func trits(_ name: String) throws(GGUFError) -> GGUFTrits {
        let info = try tensor(name)
        guard [.tq1_0, .tq2_0, .i2_s].contains(info.type) else {
            throw unsupported(info, "as trits (TQ1_0, TQ2_0, I2_S)")
        }
        let (codes, scales, block) = try ternaryCodes(info)
        if let bad = codes.firstIndex(of: 3) {
            throw GGUFError(file: path, tensor: name, message: "\(info.type.name) element \(bad) has code 3, which is not a trit (0, 1, 2 for -1, 0, +1)")
        }
        let trits = [Int8](unsafeUninitializedCapacity: codes.count) { out, count in
            codes.withUnsafeBufferPointer { c in for i in c.indices { out[i] = Int8(bitPattern: c[i] &- 1) } }
            count = codes.count
        }
        return GGUFTrits(file: path, tensor: name, trits: trits, scales: scales, blockSize: block)
    }

    /// Codes 0...3 (trit + 1), the scales and the values per scale.
    private func ternaryCodes(_ info: GGUFTensorInfo) throws(GGUFError) -> (codes: [UInt8], scales: [Float], block: Int) {
        let n = info.elementCount
        var codes = [UInt8](repeating: 1, count: n)
        var scales: [Float] = []
        switch info.type {
        case .tq1_0:
            try withData(info) { p in GGUFDecode.tq1_0(p, elements: n, into: &codes, scales: &scales) }
            return (codes, scales, 256)
        case .tq2_0:
            try withData(info) { p in GGUFDecode.tq2_0(p, elements: n, into: &codes, scales: &scales) }
            return (codes, scales, 256)
        default:
            // I2_S packs whole 128-value blocks; BitNet's quantizer drops a partial one.
            guard n % 128 == 0 else {
                throw GGUFError(file: path, tensor: info.name, message: "I2_S tensor of \(n) values: must be a multiple of its 128-value block")
            }
            try withData(info) { p in GGUFDecode.i2_s(p, elements: n, into: &codes, scales: &scales) }
            return (codes, scales, max(n, 1))
        }
    }
}

/// The trits of a ternary tensor and their scales: value i is `trits[i] * scales[i / blockSize]`.
public struct GGUFTrits: Equatable, Sendable {
    /// The file and tensor they came from (for errors).
    public let file: String
    public let tensor: String
    /// Each -1, 0 or +1, in ggml order (numpy's row-major order of the tensor's `shape`).
    public let trits: [Int8]
    /// One scale per block: per 256 values for TQ1_0 and TQ2_0, one for all of an I2_S tensor.
    public let scales: [Float]
    /// The values each scale applies to (256, or the element count for I2_S).
    public let blockSize: Int

    public init(file: String, tensor: String, trits: [Int8], scales: [Float], blockSize: Int) {
        self.file = file
        self.tensor = tensor
        self.trits = trits
        self.scales = scales
        self.blockSize = blockSize
    }

    /// The single scale of the tensor: throws naming the tensor and the first block whose
    /// scale differs from the first's (a BitNet layer has one scale; TQ1_0/TQ2_0 store it
    /// per block, so a model mapping must check they agree). A block whose trits are all 0
    /// carries no scale (gguf-py's quantizer writes its absmax, 0) and is not compared; a
    /// tensor of zeros only has scale 0. A NaN or infinite scale is an error.
    public func uniformScale() throws(GGUFError) -> Float {
        guard !scales.isEmpty else {
            throw GGUFError(file: file, tensor: tensor, message: "no blocks, so no scale")
        }
        var first: (block: Int, scale: Float)?
        for (block, scale) in scales.enumerated() {
            let start = block * blockSize
            guard trits[start ..< min(trits.count, start + blockSize)].contains(where: { $0 != 0 }) else { continue }
            guard let (firstBlock, firstScale) = first else {
                guard scale.isFinite else { throw GGUFError(file: file, tensor: tensor, message: "block \(block) has scale \(scale)") }
                first = (block, scale)
                continue
            }
            // Compared as bit patterns: the blocks were all written from one value.
            if scale.bitPattern != firstScale.bitPattern {
                throw GGUFError(file: file, tensor: tensor,
                                message: "block \(block) has scale \(scale), block \(firstBlock) has \(firstScale); expected one scale for the tensor (nmp applies one scale per BitLinear)")
            }
        }
        return first?.scale ?? 0
    }
}

/// Two hex digits.
private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
