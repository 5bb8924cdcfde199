import NMPISA

/// The machine between two instructions, as a debugger sees it (`RunObserver.willFetch`):
/// the next pc, the cycle, `vl`, the loop stack, the DMA queue and the ternary array's queue
/// of products, and through the simulator
/// the registers and memories. It reads the live machine, so it is valid only while the run
/// is stopped at the point it describes (inside `willFetch`/`ended`, or while a `DebugRun`
/// is paused there).
public struct MachineView {
    /// The simulator, for its registers and memories (`scalar(_:)`, `read(_:at:count:)`, ...).
    public let simulator: Simulator
    /// The instruction to be fetched next (after the run: halt's pc or the trapping one's).
    public let pc: Int
    /// The earliest cycle the next instruction may issue: every cycle before it was an issue
    /// or a stall cycle, so it is the run's cycles so far (after the run: its total).
    public let cycle: Int
    /// Instructions retired so far.
    public let retired: Int
    /// The active vector length.
    public let vl: Int
    let loopCount: Int
    let dma: DMAQueue
    let array: ArrayQueue

    init(simulator: Simulator, pc: Int, cycle: Int, retired: Int, vl: Int, loopCount: Int, dma: DMAQueue, array: ArrayQueue) {
        self.simulator = simulator
        self.pc = pc
        self.cycle = cycle
        self.retired = retired
        self.vl = vl
        self.loopCount = loopCount
        self.dma = dma
        self.array = array
    }

    /// One hardware loop (ISA.md 2.4): body `start ..< end` (instruction indices), `remaining`
    /// passes left including the current one.
    public struct Loop: Equatable, Sendable {
        public var start: Int, end: Int, remaining: UInt32

        public init(start: Int, end: Int, remaining: UInt32) {
            self.start = start
            self.end = end
            self.remaining = remaining
        }
    }

    /// The loop stack, outermost first.
    public var loops: [Loop] {
        (0..<loopCount).map { Loop(start: simulator.loops.start[$0], end: simulator.loops.end[$0], remaining: simulator.loops.remaining[$0]) }
    }

    /// One outstanding DMA transfer (ISA.md 2.5, 6.5).
    public struct Transfer: Equatable, Sendable {
        /// `dmaw`, `dmaa` or `dmas`.
        public var opcode: Opcode
        public var source: MemorySpace, sourceAddress: Int
        public var destination: MemorySpace, destinationAddress: Int
        public var bytes: Int
        /// The cycle its copy takes effect (ISA.md 6.5).
        public var end: Int

        public init(opcode: Opcode, source: MemorySpace, sourceAddress: Int, destination: MemorySpace,
                    destinationAddress: Int, bytes: Int, end: Int) {
            self.opcode = opcode
            self.source = source
            self.sourceAddress = sourceAddress
            self.destination = destination
            self.destinationAddress = destinationAddress
            self.bytes = bytes
            self.end = end
        }
    }

    /// The outstanding transfers, oldest first.
    public var transfers: [Transfer] {
        (0..<dma.count).map { offset in
            let slot = (dma.head + offset) % dma.depth
            let op = dma.opcode[slot]
            let (from, to) = DMATransfer.direction(of: op)
            return Transfer(opcode: op, source: from, sourceAddress: dma.source[slot], destination: to,
                            destinationAddress: dma.destination[slot], bytes: dma.length[slot], end: dma.end[slot])
        }
    }

    /// The DMA queue's capacity (`dmaQueueDepth`).
    public var dmaQueueDepth: Int { dma.depth }

    /// A matrix product the ternary array has not finished (ISA.md 6.12): the weight-SRAM and
    /// activation-SRAM bytes it reads and the cycle its work ends.
    public struct Product: Equatable, Sendable {
        public var tile: Range<Int>, vectors: Range<Int>
        public var end: Int

        public init(tile: Range<Int>, vectors: Range<Int>, end: Int) {
            self.tile = tile
            self.vectors = vectors
            self.end = end
        }
    }

    /// The products unfinished at `cycle`, oldest first.
    public var products: [Product] {
        (0..<array.count).compactMap { offset in
            let slot = (array.head + offset) % array.depth
            guard array.end[slot] > cycle else { return nil }
            return Product(tile: array.tileLow[slot]..<array.tileHigh[slot],
                           vectors: array.vectorsLow[slot]..<array.vectorsHigh[slot], end: array.end[slot])
        }
    }

    /// The array queue's capacity (`arrayQueueDepth`).
    public var arrayQueueDepth: Int { array.depth }
}
