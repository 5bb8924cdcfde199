import NMPSimulator
import NMPTrits

/// Lays out a ternary weight matrix as the compiled program streams it: tiles of ROWS rows
/// by VLEN columns, row block by row block, each block its column chunks in order; every
/// tile is ROWS packed rows of ROWBYTES bytes. Rows past the matrix and columns past its
/// width are zero trits (they add nothing, and the program stores only the real rows).
enum WeightPacker {
    /// - Parameter trits: row-major `rows x columns`, values -1/0/+1.
    static func tiles(_ trits: [Int8], rows: Int, columns: Int, config: MachineConfig) -> [UInt8] {
        let blocks = (rows + config.rows - 1) / config.rows
        let chunks = (columns + config.vlen - 1) / config.vlen
        var out = [UInt8](repeating: 0, count: blocks * chunks * config.tileBytes)
        let perByte = config.tritsPerByte
        trits.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { bytes in
                var offset = 0
                for block in 0..<blocks {
                    for chunk in 0..<chunks {
                        for r in 0..<config.rows {
                            let row = block * config.rows + r
                            for j in 0..<config.rowBytes {
                                var code = 0
                                if row < rows {
                                    // Horner from the byte's last trit down to its first (trit 0 is the
                                    // least significant digit); digit = t mod 3.
                                    for k in stride(from: perByte - 1, through: 0, by: -1) {
                                        let lane = j * perByte + k
                                        let column = chunk * config.vlen + lane
                                        let trit = lane < config.vlen && column < columns ? Int(w[row * columns + column]) : 0
                                        let digit = trit < 0 ? 2 : trit
                                        code = config.packing == .base3 ? code * 3 + digit : code | digit << (2 * k)
                                    }
                                }
                                bytes[offset + j] = UInt8(code)
                            }
                            offset += config.rowBytes
                        }
                    }
                }
            }
        }
        return out
    }
}
