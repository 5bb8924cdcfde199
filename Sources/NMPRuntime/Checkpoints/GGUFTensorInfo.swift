// GGUF tensor infos (ggml-org/ggml docs/gguf.md, `gguf_tensor_info_t`), after the metadata:
//
//     gguf_string name; uint32 n_dimensions; uint64 dimensions[n_dimensions];
//     uint32 type (ggml_type); uint64 offset (from the start of the data section)
//
// Dimensions are ggml's `ne`: `ne[0]` is the innermost (contiguous) one, so numpy's shape
// is their reverse. At most GGML_MAX_DIMS = 4 (ggml.h). The data section starts at the
// first multiple of the alignment after the infos; each offset is a multiple of it.

/// One tensor of a GGUF file: where its data is and how it is stored.
public struct GGUFTensorInfo: Equatable, Sendable {
    /// The tensor's name ("blk.0.attn_q.weight").
    public let name: String
    /// ggml's `ne`, innermost first (a `[rows, columns]` matrix is `[columns, rows]`).
    public let dimensions: [Int]
    /// The storage type.
    public let type: GGMLType
    /// The data's offset from the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// The number of values: the product of the dimensions.
    public let elementCount: Int
    /// The bytes of the data (`type.byteCount(elements:)`).
    public let byteCount: Int

    /// The dimensions outermost first, as numpy and torch give shapes.
    public var shape: [Int] { dimensions.reversed() }
}

extension GGUFCursor {
    /// GGML_MAX_DIMS (ggml.h).
    static let maxDimensions = 4

    /// One tensor info; `index` names it in errors until its name is read.
    mutating func tensorInfo(index: Int, of count: Int) throws(GGUFError) -> GGUFTensorInfo {
        key = ""
        tensor = ""
        let name = try string("tensor info \(index) of \(count): name")
        // An empty name could not be named by later errors (found by fuzz/FuzzGGUF.swift).
        guard !name.isEmpty else { throw error("tensor info \(index) of \(count): empty name") }
        tensor = name
        let n = try u32("dimension count")
        guard n <= UInt32(Self.maxDimensions) else {
            throw error("\(n) dimensions, at most \(Self.maxDimensions) (GGML_MAX_DIMS)")
        }
        var dimensions: [Int] = []
        var elements = 1
        for d in 0..<Int(n) {
            let raw = try u64("dimension \(d)")
            guard let value = Int(exactly: raw), case (let product, false) = elements.multipliedReportingOverflow(by: value) else {
                throw error("dimension \(d) = \(raw) makes the element count overflow")
            }
            dimensions.append(value)
            elements = product
        }
        let typeAt = offset
        let type = GGMLType(rawValue: try u32("type"))
        guard let block = type.blockSize else {
            throw error("type id \(type.rawValue) at offset \(typeAt) is not a ggml type")
        }
        // ggml stores whole blocks along ne[0] (ggml_row_size).
        guard (dimensions.first ?? 1) % block == 0, let bytes = type.byteCount(elements: elements) else {
            throw error("\(type.name) dimensions \(dimensions): ne[0] must be a multiple of its block of \(block) values")
        }
        let rawOffset = try u64("data offset")
        guard let dataOffset = Int(exactly: rawOffset) else {
            throw error("\(type.name) data offset \(rawOffset) is beyond any file")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: dataOffset,
                              elementCount: elements, byteCount: bytes)
    }
}
