import NMPAssembler
import NMPISA
import NMPSimulator

/// `--trace`'s text: one line per retired instruction (issue cycle, pc, instruction, stall
/// cycles and cause), then indented lines for what it did: the registers and memory it
/// wrote with their new values, and the DMA transfer it enqueued. A transfer's end gets a
/// line of its own, before the first instruction issuing at or after its end cycle (the
/// copy takes effect at the start of that cycle, ISA.md 6.5).
///
/// ```text
///      cycle      pc  instruction                         stalls
///          0       0  addi  r1, r0, 8
///                       r1 = 8 (0x00000008)
///          2       2  dmaw  r3, r0, r1
///                       dma start: dmaw 8 B dram 0x0 -> wsram 0x0, data cycles 103 ..< 104
///        104          dma end: dmaw 8 B dram 0x0 -> wsram 0x0 copied
/// ```
final class TraceWriter {
    let output: (String) -> Void
    let labels: [Int64: [String]]
    let simulator: Simulator
    private var headerPrinted = false
    /// Transfers enqueued and not yet ended, in FIFO order (their end cycles ascend).
    private var pending: [DMATransfer] = []

    /// Per opcode byte: whether the instruction is the float unit's (its accumulators hold
    /// float32 bit patterns), from the instruction table.
    private static let floatOpcodes: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for op in Opcode.allCases where op.spec.group == .float { table[Int(op.rawValue)] = true }
        return table
    }()

    /// Lanes of a vector register shown before "...".
    static let lanesShown = 8
    /// Bytes of a store shown before "...".
    static let bytesShown = 16

    /// - Parameter labels: names of code addresses (code labels only: a data label or an
    ///   `.equ` with the same value is no name for an instruction).
    init(write: @escaping (String) -> Void, labels: [Int64: [String]], simulator: Simulator) {
        output = write
        self.labels = labels
        self.simulator = simulator
    }

    func write(_ record: TraceRecord) {
        if !headerPrinted {
            output(Self.line("cycle", "pc", "instruction", "stalls"))
            headerPrinted = true
        }
        endTransfers(upTo: record.cycle)
        let text = Disassembler.text(ofWord: record.word, pc: Int64(record.pc), labels: labels)
        let stalls = record.stalls.map { "\($0.cause.rawValue) \($0.cycles)" }.joined(separator: ", ")
        output(Self.line(String(record.cycle), String(record.pc), text, stalls))
        let float = Self.floatOpcodes[Int(record.word & 0xFF)]
        for location in simulator.written(by: record) {
            output(Self.detail(describe(location, vl: record.vl, float: float)))
        }
        if let transfer = simulator.transfer(of: record) {
            output(Self.detail("dma start: " + Self.describe(transfer) + ", data cycles \(transfer.flowStart) ..< \(transfer.end)"))
            pending.append(transfer)
        }
    }

    /// Prints the ends of the transfers that took effect by `cycle` (the run's last cycle
    /// when it finishes: halt waits for every transfer; a trap leaves later ones undone).
    func endTransfers(upTo cycle: Int) {
        while let first = pending.first, first.end <= cycle {
            output(Self.line(String(first.end), "", "dma end: " + Self.describe(first) + " copied", ""))
            pending.removeFirst()
        }
    }

    static func describe(_ t: DMATransfer) -> String {
        "\(t.opcode.mnemonic) \(Format.count(t.bytes)) B \(t.source.rawValue) \(hexAddress(t.sourceAddress)) -> "
            + "\(t.destination.rawValue) \(hexAddress(t.destinationAddress))"
    }

    /// "r1 = 8 (0x00000008)", "a0 = [1, -2, ...] (64 lanes)", "asram[0x40] = 08 00 00 00".
    func describe(_ location: WrittenLocation, vl: Int, float: Bool) -> String {
        func lanes<T>(_ values: [T], count: Int, _ show: (T) -> String) -> String {
            let shown = values.prefix(min(count, Self.lanesShown)).map(show).joined(separator: ", ")
            return "[" + shown + (count > Self.lanesShown ? ", ..." : "") + "] (\(count) lane\(count == 1 ? "" : "s"))"
        }
        func trit(_ t: Int8) -> String { t > 0 ? "+" : (t < 0 ? "-" : "0") }
        let vlen = simulator.config.vlen
        switch location {
        case .scalar(let r):
            let value = simulator.scalar(r)
            return "r\(r) = \(Int32(bitPattern: value)) (0x\(hex(value, digits: 8)))"
        case .vl:
            return "vl = \(simulator.vl)"
        case .trit(let t):
            return "t\(t) = " + lanes(simulator.tritVector(t), count: vlen, trit)
        case .matrix(let m):
            return "m\(m) = \(simulator.config.rows) rows; row 0 " + lanes(simulator.tritMatrix(m)[0], count: vlen, trit)
        case .vector(let v):
            return "v\(v) = " + lanes(simulator.int8Vector(v), count: vl, { String($0) })
        case .accumulator(let a):
            // The float unit keeps float32 bit patterns in accumulator lanes (ISA.md 7.11).
            return "a\(a) = " + lanes(simulator.accumulator(a), count: vl,
                                       float ? { String(Float(bitPattern: UInt32(bitPattern: $0))) } : { String($0) })
        case .memory(let space, let address, let bytes):
            let shown = simulator.read(space, at: address, count: min(bytes, Self.bytesShown)) ?? []
            return "\(space.rawValue)[\(hexAddress(address))] = " + shown.map { hex(UInt32($0), digits: 2) }.joined(separator: " ")
                + (bytes > Self.bytesShown ? " ... (\(Format.count(bytes)) bytes)" : "")
        }
    }

    private static func detail(_ text: String) -> String {
        String(repeating: " ", count: 22) + text + "\n"
    }

    private static func line(_ cycle: String, _ pc: String, _ text: String, _ stalls: String) -> String {
        func left(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var line = right(cycle, 10) + "  " + right(pc, 6) + "  " + left(text, 34) + "  " + stalls
        while line.hasSuffix(" ") { line.removeLast() }
        return line + "\n"
    }
}

/// Where `--trace` text goes: stderr, or a file written whole or not at all (`--trace-file`)
/// whose first write error is kept for after the report.
final class TraceSink {
    private let console: Console?
    private let file: OutputFile?
    private var error: CommandError?

    init(console: Console) {
        self.console = console
        file = nil
    }

    init(_ path: String) throws(CommandError) {
        console = nil
        file = try OutputFile(path)
    }

    /// Text not yet written to the file (written in blocks, not a system call per line).
    private var buffer: [UInt8] = []

    func write(_ text: String) {
        guard file != nil else { console?.err(text); return }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    private func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard let file, error == nil else { return }
        do throws(CommandError) { try file.write(buffer) } catch { self.error = error }
    }

    /// Puts the file in place, or throws the first error (the file is then not written).
    func commit() throws(CommandError) {
        flush()
        if let error { throw error }
        try file?.commit()
    }
}
