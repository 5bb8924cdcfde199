// Byte-pair encoding of one pre-tokenized word, as Hugging Face tokenizers
// (models/bpe/word.rs `merge_all`) and llama.cpp (`llm_tokenizer_bpe_session`) do it: the
// word starts as one symbol per byte; repeatedly, of all adjacent pairs that have a merge,
// the one of lowest rank (earliest in the merges list) is merged, the leftmost on a tie,
// until no pair has a merge. A min-heap of (rank, position) gives that order in
// O(n log n) per word; entries made stale by an earlier merge are skipped when popped.

/// The merge table: token pair -> rank and merged token, by id.
struct BPEMerges: Sendable {
    /// (left << 32 | right) -> (rank << 32 | merged id).
    private let table: [UInt64: UInt64]

    /// A table from pairs of token ids and the id each pair merges into, rank = index.
    /// The caller checks ids and duplicates.
    init(_ merges: [(left: Int32, right: Int32, merged: Int32)]) {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            table[Self.key(merge.left, merge.right)] = UInt64(rank) << 32 | UInt64(UInt32(merge.merged))
        }
        self.table = table
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
    }

    /// The rank and merged id of the pair, if it has a merge.
    private func merge(_ left: Int32, _ right: Int32) -> (rank: UInt64, merged: Int32)? {
        guard let entry = table[Self.key(left, right)] else { return nil }
        return (entry >> 32, Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF))
    }

    /// The tokens of a word given as the tokens of its bytes, after every merge.
    func apply(to symbols: [Int32]) -> [Int32] {
        let count = symbols.count
        guard count >= 2 else { return symbols }
        // A doubly linked list over the initial positions: a merge keeps the left symbol
        // (its id becomes the merged one) and unlinks the right.
        var id = symbols
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int32(i) - 1 }
            initialized = count
        }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = i + 1 < count ? Int32(i + 1) : -1 }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        // Heap entries: rank << 32 | position, so that the smallest is the lowest rank,
        // then the leftmost position.
        var heap = MinHeap()
        for i in 0..<(count - 1) {
            if let pair = merge(id[i], id[i + 1]) { heap.push(pair.rank << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            // Stale when either symbol changed since the entry was pushed.
            guard let pair = merge(id[position], id[right]), pair.rank == rank else { continue }
            id[position] = pair.merged
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            let before = Int(previous[position])
            if before >= 0, let left = merge(id[before], id[position]) {
                heap.push(left.rank << 32 | UInt64(before))
            }
            let after = Int(next[position])
            if after >= 0, let following = merge(id[position], id[after]) {
                heap.push(following.rank << 32 | UInt64(position))
            }
        }
        var result: [Int32] = []
        var index = 0  // position 0 always survives: merges keep the left symbol
        while index >= 0 {
            result.append(id[index])
            index = Int(next[index])
        }
        return result
    }
}

/// A binary min-heap of UInt64 (the standard library has none).
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ value: UInt64) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { break }
            let right = left + 1
            let smaller = right < items.count && items[right] < items[left] ? right : left
            guard items[smaller] < items[parent] else { break }
            items.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
