/// The matrix array's queue of products (ISA.md 6.12): each `mgemm`/`mgemz`/`hgemm`/`hgemz` that
/// issued and has not finished, oldest first, with the cycle its array work ends and the
/// SRAM bytes it reads. The step loop retires finished entries lazily (`retire(upTo:)`),
/// waits on the oldest when the queue is full, and asks which entries still read bytes that
/// a store or a DMA transfer would overwrite.
///
/// A ring of fixed capacity allocated once per run: no allocation per instruction.
struct ArrayQueue {
    let depth: Int
    /// Index of the oldest entry, entries held, and the end cycle of the newest (0: none yet).
    var head = 0, count = 0, lastEnd = 0
    /// Per entry: the end cycle (the array is free from it on), and the weight-SRAM and
    /// activation-SRAM byte ranges [low, high) it reads.
    let end: UnsafeMutablePointer<Int>
    let tileLow: UnsafeMutablePointer<Int>, tileHigh: UnsafeMutablePointer<Int>
    let vectorsLow: UnsafeMutablePointer<Int>, vectorsHigh: UnsafeMutablePointer<Int>

    init(depth: Int) {
        self.depth = depth
        end = .allocate(capacity: depth)
        tileLow = .allocate(capacity: depth); tileHigh = .allocate(capacity: depth)
        vectorsLow = .allocate(capacity: depth); vectorsHigh = .allocate(capacity: depth)
    }

    func deallocate() {
        end.deallocate(); tileLow.deallocate(); tileHigh.deallocate(); vectorsLow.deallocate(); vectorsHigh.deallocate()
    }

    /// Drops the entries whose work has ended by `cycle` (ends are in issue order).
    @inline(__always)
    mutating func retire(upTo cycle: Int) {
        while count > 0 && end[head] <= cycle {
            head = head + 1 == depth ? 0 : head + 1
            count -= 1
        }
    }

    /// The end cycle of the oldest entry (the queue must not be empty).
    @inline(__always)
    var oldestEnd: Int { end[head] }

    /// Enqueues a product that reads wsram [tile, tile + tileBytes) and asram
    /// [vectors, vectors + vectorBytes) and ends at `e` (the queue must not be full).
    @inline(__always)
    mutating func push(end e: Int, tile: Int, tileBytes: Int, vectors: Int, vectorBytes: Int) {
        let slot = head + count < depth ? head + count : head + count - depth
        end[slot] = e
        tileLow[slot] = tile; tileHigh[slot] = tile + tileBytes
        vectorsLow[slot] = vectors; vectorsHigh[slot] = vectors + vectorBytes
        count += 1
        lastEnd = e
    }

    /// The latest end cycle of the entries that read any byte of [low, low + bytes) of the
    /// weight SRAM (`weights`) or the activation SRAM; 0 when none does.
    @inline(__always)
    func readersEnd(weights: Bool, low: Int, bytes: Int) -> Int {
        guard bytes > 0 else { return 0 }
        let high = low + bytes
        var latest = 0
        for i in 0..<count {
            let slot = head + i < depth ? head + i : head + i - depth
            let (l, h) = weights ? (tileLow[slot], tileHigh[slot]) : (vectorsLow[slot], vectorsHigh[slot])
            if l < high && low < h { latest = end[slot] }
        }
        return latest
    }
}
