import NMPISA

/// Reading the architectural state, for tests, `--dump` and embedders.
extension Simulator {
    /// Scalar register `index` (0 ... 15) as a bit pattern.
    public func scalar(_ index: Int) -> UInt32 {
        precondition((0..<RegisterFiles.scalarCount).contains(index), "no scalar register r\(index)")
        return registers.x[index]
    }

    /// Trit vector register `index` (0 ... 7): VLEN values in -1 ... 1.
    public func tritVector(_ index: Int) -> [Int8] {
        precondition((0..<RegisterFiles.tritCount).contains(index), "no trit register t\(index)")
        return Array(UnsafeBufferPointer(start: registers.t + index * config.vlen, count: config.vlen))
    }

    /// Trit matrix register `index` (0 ... 3): ROWS rows of VLEN values in -1 ... 1.
    public func tritMatrix(_ index: Int) -> [[Int8]] {
        precondition((0..<RegisterFiles.matrixCount).contains(index), "no matrix register m\(index)")
        registers.decodeMatrix(index, trits: trits, rowBytes: config.rowBytes, scratch: scratch)
        let base = registers.m + index * config.rows * config.vlen
        return (0..<config.rows).map { Array(UnsafeBufferPointer(start: base + $0 * config.vlen, count: config.vlen)) }
    }

    /// Int8 vector register `index` (0 ... 7): VLEN lanes.
    public func int8Vector(_ index: Int) -> [Int8] {
        precondition((0..<RegisterFiles.vectorCount).contains(index), "no vector register v\(index)")
        return Array(UnsafeBufferPointer(start: registers.v + index * config.vlen, count: config.vlen))
    }

    /// Accumulator register `index` (0 ... 7): VLEN int32 lanes.
    public func accumulator(_ index: Int) -> [Int32] {
        precondition((0..<RegisterFiles.accumulatorCount).contains(index), "no accumulator a\(index)")
        return Array(UnsafeBufferPointer(start: registers.a + index * config.vlen, count: config.vlen))
    }

    /// `count` bytes of a memory at `address`, or nil if the range is not inside it.
    public func read(_ space: MemorySpace, at address: Int, count: Int) -> [UInt8]? {
        let memory = self.memory(space)
        guard memory.contains(address, count) else { return nil }
        return Array(UnsafeBufferPointer(start: memory.bytes + address, count: count))
    }

    /// Writes `bytes` into a memory at `address`, as a host does before it starts a program
    /// (the model's weights, a prompt's token ids). Returns false, writing nothing, if the
    /// range is not inside the memory.
    @discardableResult
    public func write(_ space: MemorySpace, at address: Int, bytes: [UInt8]) -> Bool {
        let memory = self.memory(space)
        guard memory.contains(address, bytes.count) else { return false }
        bytes.withUnsafeBufferPointer { (memory.bytes + address).update(from: $0.baseAddress!, count: bytes.count) }
        return true
    }

    /// Writes the bytes of `buffer` into a memory at `address` (see `write(_:at:bytes:)`),
    /// without an intermediate array.
    @discardableResult
    public func write(_ space: MemorySpace, at address: Int, from buffer: UnsafeRawBufferPointer) -> Bool {
        let memory = self.memory(space)
        guard memory.contains(address, buffer.count) else { return false }
        if let source = buffer.baseAddress { UnsafeMutableRawPointer(memory.bytes + address).copyMemory(from: source, byteCount: buffer.count) }
        return true
    }

    /// The size of a memory in bytes.
    public func size(of space: MemorySpace) -> Int { memory(space).size }

    func memory(_ space: MemorySpace) -> Memory {
        switch space {
        case .weightSRAM: weightSRAM
        case .activationSRAM: activationSRAM
        case .dram: dram
        }
    }
}
