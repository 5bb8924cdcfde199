import NMPTrits

/// Lookup tables that let `mmac` work on packed trits without unpacking them: for one int8
/// vector x and each byte position g of a packed trit row, a table from the byte's value
/// to the sum of its trits times the lanes of x they meet. A row's dot product with x is
/// then one table read per packed byte instead of one multiply-add per lane, the way
/// table-lookup ternary kernels work. (An entry is at most 5 * 128 in magnitude: Int16.)
///
/// A table set costs about as many additions as a fifth of an unpacking `mmac` (VLEN / 5
/// tables of 243 entries, built by doubling up digit by digit), so an `mmac` builds the
/// set of its vector when it has none; sets are kept per vector *content*, so that a GEMV,
/// which streams its tiles past the same activation chunks once per row block, builds each
/// chunk's set once. Which path an `mmac` takes (tables or unpacking, `Core+Ternary`)
/// changes nothing but the host's speed: both give the same sums and counts (wrapping
/// int32 additions in any order are equal).
struct VectorTables {
    let vlen: Int, rowBytes: Int, perByte: Int
    /// 3 for base3, 4 for 2bit: the digit of lane i of a byte is (byte / radix^i) % radix.
    let radix: Int
    /// Bytes of a set's key (its vector, VLEN bytes rounded up to 64) before its entries.
    let keyBytes: Int
    /// Int16 entries per set: 256 per byte position.
    let setEntries: Int
    /// Sets the pool holds before it is emptied and refilled (0: tables off).
    let capacity: Int
    /// Slots of the hash index (a power of two, at least 2 * capacity).
    let indexSize: Int
    /// Per index slot: the hash of its vector (0: empty) and its set.
    let hashes: UnsafeMutablePointer<UInt64>
    let slots: UnsafeMutablePointer<Int32>
    /// Per set: one allocation, its key then its entries; allocated on first use.
    let storage: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// [0]: sets built since the pool was last emptied; [1]: the set the latest lookup
    /// found (-1: none).
    let state: UnsafeMutablePointer<Int>
    /// Per set: the set the lookup after its own found last time (-1: none). Vectors tend
    /// to come in the same order again (a GEMV's chunks, row block after row block), so a
    /// lookup first tries that set: its address is known before the vector is hashed, and
    /// the host overlaps fetching its tables with checking its key.
    let successor: UnsafeMutablePointer<Int32>

    /// The largest VLEN tables serve (a set is ceil(VLEN / trits per byte) * 512 bytes).
    static let maxVLEN = 1024
    /// The fewest ROWS tables serve: a set costs about as many additions as unpacking and
    /// multiplying 8 rows, so with fewer rows and a vector used once they would not pay.
    static let minRows = 4
    /// About 4 MiB of sets at most (and at most 512 of them).
    static let poolBytes = 4 << 20

    init(packing: TritPacking, vlen: Int, rows: Int) {
        self.vlen = vlen
        perByte = packing.tritsPerByte
        rowBytes = packing.byteCount(forTrits: vlen)
        radix = packing == .base3 ? 3 : 4
        keyBytes = (vlen + 63) & ~63
        setEntries = rowBytes * 256
        capacity = vlen <= Self.maxVLEN && rows >= Self.minRows
            ? max(8, min(512, Self.poolBytes / (keyBytes + 2 * setEntries))) : 0
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        indexSize = size
        hashes = .allocate(capacity: size)
        hashes.initialize(repeating: 0, count: size)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        storage = .allocate(capacity: max(1, capacity))
        storage.initialize(repeating: nil, count: max(1, capacity))
        state = .allocate(capacity: 2)
        state[0] = 0
        state[1] = -1
        successor = .allocate(capacity: max(1, capacity))
        successor.initialize(repeating: -1, count: max(1, capacity))
    }

    func deallocate() {
        for i in 0..<max(1, capacity) { storage[i]?.deallocate() }
        hashes.deallocate(); slots.deallocate(); storage.deallocate(); state.deallocate(); successor.deallocate()
    }

    /// The table set of the VLEN lanes at `x` (`rowBytes` tables of 256 entries), built if
    /// need be; nil when tables are off for this shape (VLEN above `maxVLEN`, ROWS below
    /// `minRows`).
    @inline(__always)
    func tables(for x: UnsafePointer<Int8>) -> UnsafePointer<Int16>? {
        guard capacity > 0 else { return nil }
        let last = state[1]
        if last >= 0 {
            let guess = Int(successor[last])
            if guess >= 0 {
                let set = storage[guess].unsafelyUnwrapped
                if Self.equal(set.assumingMemoryBound(to: Int8.self), x, vlen) {
                    state[1] = guess
                    return UnsafePointer((set + keyBytes).assumingMemoryBound(to: Int16.self))
                }
            }
        }
        return lookUp(x, after: last)
    }

    /// The set of `x` by its hash, built if need be, recorded as the successor of `last`.
    @inline(never)
    private func lookUp(_ x: UnsafePointer<Int8>, after last: Int) -> UnsafePointer<Int16> {
        let hash = Self.hash(x, vlen)
        var i = Int(truncatingIfNeeded: hash) & (indexSize - 1)
        var slot = -1
        while hashes[i] != 0 {
            if hashes[i] == hash && Self.equal(storage[Int(slots[i])].unsafelyUnwrapped.assumingMemoryBound(to: Int8.self), x, vlen) {
                slot = Int(slots[i])
                break
            }
            i = (i + 1) & (indexSize - 1)
        }
        if slot < 0 {
            let emptied = state[0] == capacity
            slot = build(for: x, hash: hash, index: i)
            if emptied { state[1] = slot; return tables(ofSet: slot) }
        }
        if last >= 0 { successor[last] = Int32(slot) }
        state[1] = slot
        return tables(ofSet: slot)
    }

    @inline(__always)
    private func tables(ofSet slot: Int) -> UnsafePointer<Int16> {
        UnsafePointer((storage[slot].unsafelyUnwrapped + keyBytes).assumingMemoryBound(to: Int16.self))
    }

    /// Builds the set of `x` into the pool, indexed at the empty slot `i`, and returns its
    /// slot; when the pool is full, it is emptied first (its sets are rebuilt as their
    /// vectors come back).
    private func build(for x: UnsafePointer<Int8>, hash: UInt64, index: Int) -> Int {
        var i = index
        if state[0] == capacity {
            hashes.update(repeating: 0, count: indexSize)
            successor.update(repeating: -1, count: capacity)
            state[0] = 0
            i = Int(truncatingIfNeeded: hash) & (indexSize - 1)
        }
        let slot = state[0]
        state[0] += 1
        hashes[i] = hash
        slots[i] = Int32(slot)
        if storage[slot] == nil {
            storage[slot] = .allocate(byteCount: keyBytes + 2 * setEntries, alignment: 64)
        }
        let set = storage[slot].unsafelyUnwrapped
        set.assumingMemoryBound(to: Int8.self).update(from: x, count: vlen)
        let entries = (set + keyBytes).assumingMemoryBound(to: Int16.self)
        for g in 0..<rowBytes {
            let table = entries + g * 256
            table[0] = 0
            var size = 1
            for d in 0..<perByte {
                // Lane g * perByte + d; padding lanes beyond VLEN add nothing.
                let lane = g * perByte + d
                let value = lane < vlen ? Int16(x[lane]) : 0
                let one = table + size, two = table + 2 * size
                for b in 0..<size {
                    one[b] = table[b] &+ value
                    two[b] = table[b] &- value
                }
                if radix == 4 {
                    // Field 0b11 is not a valid code: ldm traps on it, so it is never read.
                    (table + 3 * size).update(repeating: 0, count: size)
                }
                size *= radix
            }
            if size < 256 { (table + size).update(repeating: 0, count: 256 - size) }
        }
        return slot
    }

    /// A hash of `n` bytes; never 0. Its words are multiplied independently, so that it
    /// costs a few cycles (a collision only costs a comparison).
    @inline(__always)
    static func hash(_ x: UnsafePointer<Int8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(x)
        var h0: UInt64 = UInt64(n), h1: UInt64 = 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 16 <= n {
            h0 = h0 &+ (raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x2545_F491_4F6C_DD1D) &* 0xFF51_AFD7_ED55_8CCD
            h1 = h1 &+ (raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self) ^ 0x6A09_E667_F3BC_C909) &* 0xC4CE_B9FE_1A85_EC53
            h0 = (h0 << 23) | (h0 >> 41)
            i += 16
        }
        while i < n {
            h1 = (h1 ^ UInt64(UInt8(bitPattern: x[i]))) &* 0x9FB2_1C65_1E98_DF25
            i += 1
        }
        var h = (h0 ^ (h1 >> 29)) &* 0xFF51_AFD7_ED55_8CCD ^ h1
        h ^= h >> 32
        return h | 1
    }

    @inline(__always)
    static func equal(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Bool {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        var diff: UInt64 = 0
        while i + 8 <= n {
            diff |= ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            diff |= UInt64(UInt8(bitPattern: a[i] ^ b[i]))
            i += 1
        }
        return diff == 0
    }
}
