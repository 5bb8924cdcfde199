/// The five register files of ISA.md 2.1, as flat buffers: lane l of register i of a
/// vector file is at `i * VLEN + l`; row r, lane l of matrix i at `(i * ROWS + r) * VLEN + l`.
///
/// Trits are stored as Int8 -1, 0, +1 so that `vmac`/`mmac` are plain int8 products the
/// host compiler vectorizes.
struct RegisterFiles {
    static let scalarCount = 16, tritCount = 8, matrixCount = 4, vectorCount = 8, accumulatorCount = 8

    let vlen: Int
    let rows: Int
    let x: UnsafeMutablePointer<UInt32>
    let t: UnsafeMutablePointer<Int8>
    let m: UnsafeMutablePointer<Int8>
    let v: UnsafeMutablePointer<Int8>
    let a: UnsafeMutablePointer<Int32>

    init(vlen: Int, rows: Int) {
        self.vlen = vlen
        self.rows = rows
        x = .allocate(capacity: Self.scalarCount)
        t = .allocate(capacity: Self.tritCount * vlen)
        m = .allocate(capacity: Self.matrixCount * rows * vlen)
        v = .allocate(capacity: Self.vectorCount * vlen)
        a = .allocate(capacity: Self.accumulatorCount * vlen)
        x.initialize(repeating: 0, count: Self.scalarCount)
        t.initialize(repeating: 0, count: Self.tritCount * vlen)
        m.initialize(repeating: 0, count: Self.matrixCount * rows * vlen)
        v.initialize(repeating: 0, count: Self.vectorCount * vlen)
        a.initialize(repeating: 0, count: Self.accumulatorCount * vlen)
    }

    func deallocate() {
        x.deallocate(); t.deallocate(); m.deallocate(); v.deallocate(); a.deallocate()
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
