import NMPISA
import NMPTrits

/// The weight SRAM's unpack and pack units for one packing layout, table-driven: every
/// byte value maps to its trits as Int8 lanes in one 64-bit word, so unpacking a byte is
/// one load and one 8-byte store.
struct TritCodec {
    let perByte: Int
    let packing: TritPacking
    /// Byte value -> its trits (-1/0/+1 as Int8) in bytes 0 ..< perByte, little-endian.
    let lanes: UnsafeMutablePointer<UInt64>
    /// Byte value -> 1 if it is not a valid code of the layout.
    let invalid: UnsafeMutablePointer<UInt8>
    /// Byte value -> its +1 trits in bits 0-31 and its -1 trits in bits 32-63, over all
    /// its trits (`counts`) or only those a row's last byte holds (`lastCounts`: padding
    /// trits beyond VLEN do not count). A tile has at most 2^22 trits, so sums of these
    /// never carry from one half into the other.
    let counts: UnsafeMutablePointer<Int>
    let lastCounts: UnsafeMutablePointer<Int>

    init(packing: TritPacking, vlen: Int) {
        self.packing = packing
        perByte = packing.tritsPerByte
        lanes = .allocate(capacity: 256)
        invalid = .allocate(capacity: 256)
        counts = .allocate(capacity: 256)
        lastCounts = .allocate(capacity: 256)
        let lastTrits = vlen - (packing.byteCount(forTrits: vlen) - 1) * perByte
        for byte in 0..<256 {
            let trits = packing.decode(byte: UInt8(byte)) ?? []
            invalid[byte] = trits.isEmpty ? 1 : 0
            var word: UInt64 = 0
            for (i, trit) in trits.enumerated() {
                word |= UInt64(UInt8(bitPattern: trit.rawValue)) << (8 * i)
            }
            lanes[byte] = word
            func tally(_ trits: ArraySlice<Trit>) -> Int {
                trits.filter { $0 == .plus }.count | trits.filter { $0 == .minus }.count << 32
            }
            counts[byte] = tally(trits[...])
            lastCounts[byte] = tally(trits.prefix(lastTrits))
        }
    }

    func deallocate() {
        lanes.deallocate()
        invalid.deallocate()
        counts.deallocate()
        lastCounts.deallocate()
    }

    /// Unpacks `rowCount` rows of `rowBytes` bytes at `source` into rows of `vlen` trits
    /// at `destination`, which must have room for rowCount * vlen + 8 bytes. Returns
    /// whether every byte was valid (if not, the destination is partly written) and the
    /// numbers of +1 and -1 trits among the rows' VLEN trits.
    @inline(__always)
    func unpack(rows rowCount: Int, rowBytes: Int, vlen: Int, from source: UnsafePointer<UInt8>,
                to destination: UnsafeMutablePointer<Int8>) -> (valid: Bool, plus: Int, minus: Int) {
        var bad: UInt8 = 0
        var both = 0
        let raw = UnsafeMutableRawPointer(destination)
        for r in 0..<rowCount {
            let row = source + r * rowBytes
            var offset = r * vlen
            // Rows are written in order, so the up to 7 bytes each store writes past its
            // trits are overwritten by the next byte or row (or land in the slack).
            for j in 0..<rowBytes - 1 {
                let byte = Int(row[j])
                bad |= invalid[byte]
                both &+= counts[byte]
                raw.storeBytes(of: lanes[byte], toByteOffset: offset, as: UInt64.self)
                offset += perByte
            }
            let last = Int(row[rowBytes - 1])
            bad |= invalid[last]
            both &+= lastCounts[last]
            raw.storeBytes(of: lanes[last], toByteOffset: offset, as: UInt64.self)
        }
        return (bad == 0, both & 0xFFFF_FFFF, both >> 32)
    }

    /// Whether the `count` bytes at `source` are all valid codes (an `ldm`'s check before
    /// it copies the packed bytes). Branch-free over the bytes, so that the host compiler
    /// vectorizes it.
    @inline(__always)
    func allValid(_ count: Int, at source: UnsafePointer<UInt8>) -> Bool {
        switch packing {
        case .base3:
            // Codes 243 ... 255 are invalid.
            var largest: UInt8 = 0
            for i in 0..<count { largest = max(largest, source[i]) }
            return largest < 243
        case .twoBit:
            // A field 0b11 is invalid.
            var bad: UInt8 = 0
            for i in 0..<count { bad |= source[i] & (source[i] >> 1) }
            return bad & 0x55 == 0
        }
    }

    /// The address of the first invalid byte among `count` bytes at `source`.
    func firstInvalid(_ source: UnsafePointer<UInt8>, count: Int) -> Int? {
        (0..<count).first { invalid[Int(source[$0])] != 0 }
    }
}

/// The hardware loop stack (ISA.md 2.4, 6.4).
struct LoopStack {
    let depth: Int
    let start: UnsafeMutablePointer<Int>
    let end: UnsafeMutablePointer<Int>
    let remaining: UnsafeMutablePointer<UInt32>

    init(depth: Int) {
        self.depth = depth
        start = .allocate(capacity: depth)
        end = .allocate(capacity: depth)
        remaining = .allocate(capacity: depth)
    }

    func deallocate() {
        start.deallocate(); end.deallocate(); remaining.deallocate()
    }
}

/// The DMA engine's FIFO of outstanding transfers (ISA.md 2.5, 6.5), a ring of `depth`.
struct DMAQueue {
    let depth: Int
    /// Index of the oldest transfer, number queued, end cycle of the last one enqueued.
    var head = 0, count = 0, lastEnd = 0
    let opcode: UnsafeMutablePointer<Opcode>
    let destination: UnsafeMutablePointer<Int>
    let source: UnsafeMutablePointer<Int>
    let length: UnsafeMutablePointer<Int>
    let end: UnsafeMutablePointer<Int>

    init(depth: Int) {
        self.depth = depth
        opcode = .allocate(capacity: depth)
        destination = .allocate(capacity: depth)
        source = .allocate(capacity: depth)
        length = .allocate(capacity: depth)
        end = .allocate(capacity: depth)
    }

    func deallocate() {
        opcode.deallocate(); destination.deallocate(); source.deallocate(); length.deallocate(); end.deallocate()
    }

    /// The end cycle of the transfer `offset` places behind the oldest.
    @inline(__always)
    func end(at offset: Int) -> Int {
        // offset < depth and head < depth: one subtraction instead of a division.
        let slot = head + offset
        return end[slot < depth ? slot : slot - depth]
    }

    /// Enqueues a transfer.
    @inline(__always)
    mutating func push(_ op: Opcode, destination d: Int, source s: Int, length n: Int, end e: Int) {
        let slot = head + count < depth ? head + count : head + count - depth
        opcode[slot] = op
        destination[slot] = d
        source[slot] = s
        length[slot] = n
        end[slot] = e
        count += 1
        lastEnd = e
    }

    /// The latest end cycle of the queued transfers into the weight SRAM (`dmaw`, when
    /// `weights`) or the activation SRAM (`dmaa`) that write any byte of [low, low + bytes);
    /// 0 when none does (ISA.md 6.12: a product waits for the transfers into its operands).
    @inline(__always)
    func writersEnd(weights: Bool, low: Int, bytes: Int) -> Int {
        let high = low + bytes, into: Opcode = weights ? .dmaw : .dmaa
        var latest = 0
        for i in 0..<count {
            let slot = head + i < depth ? head + i : head + i - depth
            if opcode[slot] == into && destination[slot] < high && low < destination[slot] + length[slot] { latest = end[slot] }
        }
        return latest
    }

    /// Copies every transfer whose end cycle is at or before `cycle`, oldest first
    /// (ISA.md 6.5: atomically at the start of the end cycle).
    @inline(__always)
    mutating func complete(upTo cycle: Int, wsram: UnsafeMutablePointer<UInt8>, asram: UnsafeMutablePointer<UInt8>,
                           dram: UnsafeMutablePointer<UInt8>) {
        while count > 0 && end[head] <= cycle {
            let n = length[head], dst = destination[head], src = source[head]
            switch opcode[head] {
            case .dmaw: (wsram + dst).update(from: dram + src, count: n)
            case .dmaa: (asram + dst).update(from: dram + src, count: n)
            default: (dram + dst).update(from: asram + src, count: n)
            }
            head = head + 1 == depth ? 0 : head + 1
            count -= 1
        }
    }
}
