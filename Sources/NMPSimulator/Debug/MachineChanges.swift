import NMPISA

/// One thing an instruction changed, for a debugger's "what the last instruction did".
public enum MachineChange: Equatable, Sendable {
    /// A scalar register's bit pattern.
    case scalar(index: Int, old: UInt32, new: UInt32)
    /// Lanes of a vector register (`file` t, v or a): the lanes that changed, their old and
    /// new values.
    case lanes(file: Character, index: Int, lanes: [Int], old: [Int32], new: [Int32])
    /// A trit matrix register was loaded with other trits (`ldm`).
    case matrix(index: Int)
    case vl(old: Int, new: Int)
    /// The bytes a store wrote, with what they held before.
    case memory(space: MemorySpace, address: Int, old: [UInt8], new: [UInt8])
    case dmaEnqueued(MachineView.Transfer)
    /// A transfer whose copy took effect: its destination bytes changed.
    case dmaCompleted(MachineView.Transfer)
    case loops(old: [MachineView.Loop], new: [MachineView.Loop])
}

/// The architectural state before an instruction, to compare with the state after it:
/// every register (copied into buffers kept from one instruction to the next, so taking a
/// snapshot allocates nothing once the buffers exist), vl, the loop stack, the DMA queue,
/// and the bytes the instruction's store will write.
struct MachineSnapshot {
    var x: [UInt32] = [], t: [Int8] = [], v: [Int8] = [], a: [Int32] = [], m: [UInt8] = []
    var vl = 0
    var loops: [MachineView.Loop] = []
    var transfers: [MachineView.Transfer] = []
    /// DMA transfers enqueued so far (a transfer's sequence number is its position).
    var enqueued = 0
    /// The store's range and the bytes it held, when the instruction is a store in bounds.
    var store: (space: MemorySpace, address: Int, old: [UInt8])?

    /// Takes the state of `machine`; `store` is the range the next instruction writes.
    mutating func take(_ machine: MachineView, enqueued: Int, store range: (MemorySpace, Int, Int)?) {
        let s = machine.simulator, r = s.registers, vlen = s.config.vlen
        Self.copy(&x, r.x, RegisterFiles.scalarCount)
        Self.copy(&t, r.t, RegisterFiles.tritCount * vlen)
        Self.copy(&v, r.v, RegisterFiles.vectorCount * vlen)
        Self.copy(&a, r.a, RegisterFiles.accumulatorCount * vlen)
        Self.copy(&m, r.mPacked, RegisterFiles.matrixCount * r.tileBytes)
        vl = machine.vl
        loops = machine.loopCount == 0 && loops.isEmpty ? loops : machine.loops
        transfers = machine.dma.count == 0 && transfers.isEmpty ? transfers : machine.transfers
        self.enqueued = enqueued
        store = range.flatMap { space, address, count in s.read(space, at: address, count: count).map { (space, address, $0) } }
    }

    private static func copy<T>(_ buffer: inout [T], _ source: UnsafeMutablePointer<T>, _ count: Int) {
        if buffer.count != count { buffer = Array(UnsafeBufferPointer(start: source, count: count)); return }
        buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source, count: count) }
    }

    /// What differs in `machine` from this snapshot; `enqueued` counts the DMA transfers
    /// enqueued by now.
    func changes(to machine: MachineView, enqueued nowEnqueued: Int) -> [MachineChange] {
        let s = machine.simulator, r = s.registers, vlen = s.config.vlen
        var changes: [MachineChange] = []
        for i in 0..<RegisterFiles.scalarCount where x[i] != r.x[i] {
            changes.append(.scalar(index: i, old: x[i], new: r.x[i]))
        }
        if vl != machine.vl { changes.append(.vl(old: vl, new: machine.vl)) }
        func lanes(_ file: Character, _ count: Int, _ old: (Int) -> Int32, _ new: (Int) -> Int32) {
            for i in 0..<count {
                let changed = (0..<vlen).filter { old(i * vlen + $0) != new(i * vlen + $0) }
                if !changed.isEmpty {
                    changes.append(.lanes(file: file, index: i, lanes: changed, old: changed.map { old(i * vlen + $0) },
                                          new: changed.map { new(i * vlen + $0) }))
                }
            }
        }
        lanes("t", RegisterFiles.tritCount, { Int32(t[$0]) }, { Int32(r.t[$0]) })
        lanes("v", RegisterFiles.vectorCount, { Int32(v[$0]) }, { Int32(r.v[$0]) })
        lanes("a", RegisterFiles.accumulatorCount, { a[$0] }, { r.a[$0] })
        for i in 0..<RegisterFiles.matrixCount
        where (0..<r.tileBytes).contains(where: { m[i * r.tileBytes + $0] != r.mPacked[i * r.tileBytes + $0] }) {
            changes.append(.matrix(index: i))
        }
        if let store, let new = s.read(store.space, at: store.address, count: store.old.count) {
            changes.append(.memory(space: store.space, address: store.address, old: store.old, new: new))
        }
        let now = machine.dma.count == 0 ? [] : machine.transfers
        // FIFO: the transfers completed since the snapshot are the oldest ones it held.
        let completed = transfers.count + (nowEnqueued - enqueued) - now.count
        for transfer in transfers.prefix(max(0, completed)) { changes.append(.dmaCompleted(transfer)) }
        if nowEnqueued > enqueued, completed <= transfers.count, let newest = now.last { changes.append(.dmaEnqueued(newest)) }
        let loopsNow = machine.loopCount == 0 ? [] : machine.loops
        if loopsNow != loops { changes.append(.loops(old: loops, new: loopsNow)) }
        return changes
    }
}
