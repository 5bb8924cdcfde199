import NMPSimulator
import NMPTrits

/// Lays out a ternary weight matrix as the compiled program streams it: tiles of ROWS rows
/// by VLEN columns, row block by row block, each block's column chunks in order (so that
/// `mgemm`, which advances its tile pointer by one tile, walks a block's chunks). Every tile
/// is ROWS packed rows of ROWBYTES bytes. Rows past the matrix and columns past its width
/// are zero trits (they add nothing, and the program stores only the real rows). The size
/// is blocks * chunks * tile bytes.
public enum WeightPacker {
    /// - Parameter trits: row-major `rows x columns`, values -1/0/+1.
    public static func tiles(_ trits: [Int8], rows: Int, columns: Int, config: MachineConfig) -> [UInt8] {
        let blocks = (rows + config.rows - 1) / config.rows
        let chunks = (columns + config.vlen - 1) / config.vlen
        var out = [UInt8](repeating: 0, count: blocks * chunks * config.tileBytes)
        var row = [Int8](repeating: 0, count: config.vlen)
        trits.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { bytes in
                row.withUnsafeMutableBufferPointer { lanes in
                    var offset = 0
                    for block in 0..<blocks {
                        for chunk in 0..<chunks {
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
