/// The five register files of ISA.md 2.1, as flat buffers: lane l of register i of a
/// vector file is at `i * VLEN + l`; row r, lane l of matrix i at `(i * ROWS + r) * VLEN + l`.
///
/// Trits are stored as Int8 -1, 0, +1 so that `vmac`/`mmac` are plain int8 products the
/// host compiler vectorizes.
///
/// A matrix register also keeps the packed bytes `ldm` loaded it from (`mPacked`, ROWS *
/// ROWBYTES per register), and `ldm` writes only those: the Int8 form is unpacked from them
/// when something reads it (`mDecoded[i]` is false until then). `mmac` on a vector with
/// lookup tables (`VectorTables`) reads the packed bytes directly, so a tile that is
/// loaded and multiplied once is never unpacked. Both forms start as zero trits.
struct RegisterFiles {
    static let scalarCount = 16, tritCount = 8, matrixCount = 4, vectorCount = 8, accumulatorCount = 8

    let vlen: Int
    let rows: Int
    let tileBytes: Int
    let x: UnsafeMutablePointer<UInt32>
    let t: UnsafeMutablePointer<Int8>
    let m: UnsafeMutablePointer<Int8>
    let mPacked: UnsafeMutablePointer<UInt8>
    let mDecoded: UnsafeMutablePointer<Bool>
    let v: UnsafeMutablePointer<Int8>
    let a: UnsafeMutablePointer<Int32>

    init(vlen: Int, rows: Int, tileBytes: Int) {
        self.vlen = vlen
        self.rows = rows
        self.tileBytes = tileBytes
        x = .allocate(capacity: Self.scalarCount)
        t = .allocate(capacity: Self.tritCount * vlen)
        m = .allocate(capacity: Self.matrixCount * rows * vlen)
        mPacked = .allocate(capacity: Self.matrixCount * tileBytes)
        mDecoded = .allocate(capacity: Self.matrixCount)
        v = .allocate(capacity: Self.vectorCount * vlen)
        a = .allocate(capacity: Self.accumulatorCount * vlen)
        x.initialize(repeating: 0, count: Self.scalarCount)
        t.initialize(repeating: 0, count: Self.tritCount * vlen)
        m.initialize(repeating: 0, count: Self.matrixCount * rows * vlen)
        // Byte 0 is zero trits in both layouts.
        mPacked.initialize(repeating: 0, count: Self.matrixCount * tileBytes)
        mDecoded.initialize(repeating: true, count: Self.matrixCount)
        v.initialize(repeating: 0, count: Self.vectorCount * vlen)
        a.initialize(repeating: 0, count: Self.accumulatorCount * vlen)
    }

    func deallocate() {
        x.deallocate(); t.deallocate(); m.deallocate(); mPacked.deallocate(); mDecoded.deallocate()
        v.deallocate(); a.deallocate()
    }

    /// Unpacks matrix register `index` from its packed bytes unless its Int8 form is
    /// current. `scratch` needs room for ROWS * VLEN + 8 bytes.
    @inline(__always)
    func decodeMatrix(_ index: Int, trits: TritCodec, rowBytes: Int, scratch: UnsafeMutablePointer<Int8>) {
        guard !mDecoded[index] else { return }
        decodeMatrixSlow(index, trits: trits, rowBytes: rowBytes, scratch: scratch)
    }

    @inline(never)
    func decodeMatrixSlow(_ index: Int, trits: TritCodec, rowBytes: Int, scratch: UnsafeMutablePointer<Int8>) {
        // The bytes were valid when ldm copied them.
        _ = trits.unpack(rows: rows, rowBytes: rowBytes, vlen: vlen, from: mPacked + index * tileBytes, to: scratch)
        (m + index * rows * vlen).update(from: scratch, count: rows * vlen)
        mDecoded[index] = true
    }
}

/// Scoreboard slots: one ready cycle per register of every file, and `vl`.
enum Scoreboard {
    static let scalar = 0, trit = 16, matrix = 24, vector = 28, accumulator = 36, vl = 44
    /// A slot that is always ready (cycle 0): `r0` and unused operand slots read it.
    static let alwaysReady = 45
    /// A slot that is written and never read: writes to `r0` and unused destinations.
    static let discard = 46
    static let count = 47
}
