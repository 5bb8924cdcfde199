import NMPSimulator
import NMPTrits

/// Lays out a ternary weight matrix as the compiled program streams it: tiles of ROWS rows
/// by VLEN columns, grouped in passes of `blocksPerPass` row blocks (the last pass may have
/// fewer); a pass is its column chunks in order, and each chunk the tiles of the pass's
/// blocks in order (chunk-major, so that one pointer walks the tiles the program multiplies
/// with one activation vector). With `blocksPerPass` 1 this is row block by row block. Every
/// tile is ROWS packed rows of ROWBYTES bytes. Rows past the matrix and columns past its
/// width are zero trits (they add nothing, and the program stores only the real rows). The
/// size is blocks * chunks * tile bytes whatever `blocksPerPass` is.
///
/// The compiled BitLinear streams `BitLinearPlan.blocksPerPass(inFeatures:config:)` blocks per
/// pass: pack its weights with that value.
public enum WeightPacker {
    /// - Parameter trits: row-major `rows x columns`, values -1/0/+1.
    public static func tiles(_ trits: [Int8], rows: Int, columns: Int, config: MachineConfig, blocksPerPass: Int) -> [UInt8] {
        precondition(blocksPerPass >= 1)
        let blocks = (rows + config.rows - 1) / config.rows
        let chunks = (columns + config.vlen - 1) / config.vlen
        var order: [(block: Int, chunk: Int)] = []
        order.reserveCapacity(blocks * chunks)
        for first in stride(from: 0, to: blocks, by: blocksPerPass) {
            for chunk in 0..<chunks {
                for block in first..<min(blocks, first + blocksPerPass) { order.append((block, chunk)) }
            }
        }
        var out = [UInt8](repeating: 0, count: blocks * chunks * config.tileBytes)
        var row = [Int8](repeating: 0, count: config.vlen)
        trits.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { bytes in
                row.withUnsafeMutableBufferPointer { lanes in
                    var offset = 0
                    for (block, chunk) in order {
                        do {
                            for r in 0..<config.rows {
                                let matrixRow = block * config.rows + r
                                let first = chunk * config.vlen
                                let width = matrixRow < rows ? min(config.vlen, columns - first) : 0
                                for l in 0..<config.vlen { lanes[l] = l < width ? w[matrixRow * columns + first + l] : 0 }
                                config.packing.pack(UnsafePointer(lanes.baseAddress!), count: config.vlen, into: bytes.baseAddress! + offset)
                                offset += config.rowBytes
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
