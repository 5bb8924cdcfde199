import NMPTrits

/// Lookup tables that let `mmac` work on packed trits without unpacking them: for one int8
/// vector x and each byte position g of a packed trit row, a table from the byte's value
/// to the sum of its trits times the lanes of x they meet (and the byte's +1 and -1
/// counts). A row's dot product with x is then one table read per packed byte instead of
/// one multiply-add per lane, the way table-lookup ternary kernels work.
///
/// Building a table set costs about as much as a few `mmac`s, so sets are kept per vector
/// *content* and built only for a vector seen before: a GEMV streams its tiles past the
/// same activation chunks once per row block, so from the second row block on every
/// `mmac` finds its set. A vector seen for the first time takes the unpacking path.
/// Which path an `mmac` takes changes nothing but the host's speed: both give the same
/// sums and counts (wrapping int32 additions in any order are equal).
///
/// An entry (Int32) holds the byte's partial dot product in bits 16-31 (signed) and its
/// +1 and -1 trit counts in bits 8-15 and 0-7; the entries of a row add up without carry
/// between the fields as long as VLEN <= 255 (at most 255 of each count, |dot| <= 255 * 128
/// < 2^15), the only configs the tables serve (`isUsable`).
struct VectorTables {
    let vlen: Int, rowBytes: Int, perByte: Int
    /// 3 for base3, 4 for 2bit: the digit of lane i of a byte is (byte / radix^i) % radix.
    let radix: Int
    /// Int32 entries per set: 256 per byte position.
    let setEntries: Int
    /// Sets the pool holds before it is emptied and refilled.
    let capacity: Int
    /// Slots of the hash index (a power of two, 4 * capacity).
    let indexSize: Int
    /// Hash of each indexed vector (0: empty) and its set (-1: seen once, no set yet).
    let hashes: UnsafeMutablePointer<UInt64>
    let slots: UnsafeMutablePointer<Int32>
    /// Per set: its vector (VLEN bytes) and its entries; allocated on first use.
    let storage: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>
    let keyStorage: UnsafeMutablePointer<UnsafeMutablePointer<Int8>?>
    /// [0]: sets built, [1]: index slots used.
    let state: UnsafeMutablePointer<Int>

    /// Whether tables serve this shape: counts and dot products must fit their fields.
    static func isUsable(vlen: Int) -> Bool { vlen <= 255 }

    /// About 4 MiB of sets at most (and at most 512 of them).
    static let poolBytes = 4 << 20

    init(packing: TritPacking, vlen: Int) {
        self.vlen = vlen
        perByte = packing.tritsPerByte
        rowBytes = packing.byteCount(forTrits: vlen)
        radix = packing == .base3 ? 3 : 4
        setEntries = rowBytes * 256
        capacity = Self.isUsable(vlen: vlen) ? max(8, min(512, Self.poolBytes / (setEntries * 4))) : 0
        var size = 16
        while size < 4 * capacity { size <<= 1 }
        indexSize = size
        hashes = .allocate(capacity: size)
        hashes.initialize(repeating: 0, count: size)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        storage = .allocate(capacity: max(1, capacity))
        storage.initialize(repeating: nil, count: max(1, capacity))
        keyStorage = .allocate(capacity: max(1, capacity))
        keyStorage.initialize(repeating: nil, count: max(1, capacity))
        state = .allocate(capacity: 2)
        state.initialize(repeating: 0, count: 2)
    }

    func deallocate() {
        for i in 0..<max(1, capacity) {
            storage[i]?.deallocate()
            keyStorage[i]?.deallocate()
        }
        hashes.deallocate(); slots.deallocate(); storage.deallocate(); keyStorage.deallocate(); state.deallocate()
    }

    /// The table set of the VLEN lanes at `x`, building it if `x` was seen before; nil the
    /// first time (the caller unpacks instead) and when tables do not serve this shape.
    @inline(__always)
    func tables(for x: UnsafePointer<Int8>) -> UnsafePointer<Int32>? {
        guard capacity > 0 else { return nil }
        let hash = Self.hash(x, vlen)
        var i = Int(truncatingIfNeeded: hash) & (indexSize - 1)
        while hashes[i] != 0 {
            if hashes[i] == hash {
                let slot = Int(slots[i])
                if slot < 0 { return build(for: x, index: i) }
                if Self.equal(keyStorage[slot]!, x, vlen) { return UnsafePointer(storage[slot]!) }
            }
            i = (i + 1) & (indexSize - 1)
        }
        remember(hash, at: i)
        return nil
    }

    /// Records a first sighting in the empty index slot `i`; empties the index when it is
    /// half full (its sets are rebuilt as vectors come back).
    private func remember(_ hash: UInt64, at i: Int) {
        if 2 * (state[1] + 1) > indexSize {
            reset()
            var j = Int(truncatingIfNeeded: hash) & (indexSize - 1)
            while hashes[j] != 0 { j = (j + 1) & (indexSize - 1) }
            hashes[j] = hash
            state[1] = 1
            return
        }
        hashes[i] = hash
        state[1] += 1
    }

    private func reset() {
        hashes.update(repeating: 0, count: indexSize)
        slots.update(repeating: -1, count: indexSize)
        state[0] = 0
        state[1] = 0
    }

    /// Builds the set of `x` for the index slot `i` (seen once so far).
    private func build(for x: UnsafePointer<Int8>, index i: Int) -> UnsafePointer<Int32>? {
        if state[0] == capacity {
            // The pool is full: start over, remembering only this vector.
            let hash = hashes[i]
            reset()
            var j = Int(truncatingIfNeeded: hash) & (indexSize - 1)
            while hashes[j] != 0 { j = (j + 1) & (indexSize - 1) }
            hashes[j] = hash
            state[1] = 1
            return nil
        }
        let slot = state[0]
        state[0] += 1
        slots[i] = Int32(slot)
        if storage[slot] == nil {
            storage[slot] = .allocate(capacity: setEntries)
            keyStorage[slot] = .allocate(capacity: vlen)
        }
        let key = keyStorage[slot]!, set = storage[slot]!
        key.update(from: x, count: vlen)
        for g in 0..<rowBytes {
            let table = set + g * 256
            table[0] = 0
            var size = 1
            for d in 0..<perByte {
                // Lane g * perByte + d; padding lanes beyond VLEN neither count nor add.
                let lane = g * perByte + d
                let valid = lane < vlen
                let value = valid ? Int32(x[lane]) << 16 : 0
                let plus = value &+ (valid ? 256 : 0), minus = (valid ? 1 : 0) &- value
                let one = table + size, two = table + 2 * size
                for b in 0..<size {
                    one[b] = table[b] &+ plus
                    two[b] = table[b] &+ minus
                }
                if radix == 4 {
                    // Field 0b11 is not a valid code: ldm traps on it, so it is never read.
                    (table + 3 * size).update(repeating: 0, count: size)
                }
                size *= radix
            }
            if size < 256 { (table + size).update(repeating: 0, count: 256 - size) }
        }
        return UnsafePointer(set)
    }

    @inline(__always)
    static func hash(_ x: UnsafePointer<Int8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(x)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        while i < n {
            h = (h ^ UInt64(UInt8(bitPattern: x[i]))) &* 0xC4CE_B9FE_1A85_EC53
            i += 1
        }
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
