import NMPISA
import NMPSimulator

/// How `nmp debug` writes registers, memory, changes and the DMA queue.
enum DebugText {
    /// `asram 0x28 (4 bytes)`.
    static func memoryName(_ space: MemorySpace, _ address: Int, _ bytes: Int) -> String {
        "\(space.rawValue) \(hexAddress(address)) (\(bytes) byte\(bytes == 1 ? "" : "s"))"
    }

    static func hexAddress(_ address: Int) -> String { "0x" + String(address, radix: 16) }

    /// Little-endian elements of `type` in `bytes`, as text.
    static func elements(_ bytes: [UInt8], _ type: DebuggerCommand.ElementType) -> [String] {
        stride(from: 0, to: bytes.count - type.size + 1, by: type.size).map { i in
            let word = type.size == 4 ? UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24 : 0
            return switch type {
            case .hex: hex(UInt32(bytes[i]), digits: 2)
            case .i8: String(Int8(bitPattern: bytes[i]))
            case .u8: String(bytes[i])
            case .i32: String(Int32(bitPattern: word))
            case .u32: String(word)
            case .f32: String(describing: Float(bitPattern: word))
            }
        }
    }

    /// Elements on one line, space-separated.
    static func values(_ bytes: [UInt8], _ type: DebuggerCommand.ElementType) -> String {
        elements(bytes, type).joined(separator: " ")
    }

    /// `x`: `count` elements per line (16 bytes or 8 words), right-aligned to the widest,
    /// each line headed by its address.
    static func memory(_ simulator: Simulator, _ space: MemorySpace, _ address: Int, _ count: Int,
                       _ type: DebuggerCommand.ElementType) -> String {
        let bytes = simulator.read(space, at: address, count: count * type.size) ?? []
        let values = elements(bytes, type)
        let perLine = type.size == 4 ? 8 : 16
        let width = values.map(\.count).max() ?? 0
        let lastAddress = hexAddress(address + max(0, count - 1) * type.size)
        return stride(from: 0, to: values.count, by: perLine).map { i in
            let head = hexAddress(address + i * type.size)
            return "\(space.rawValue) " + String(repeating: " ", count: lastAddress.count - head.count) + head + ":"
                + values[i..<min(i + perLine, values.count)].map { " " + pad($0, width) }.joined()
        }.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `regs`: r0-r15 in hex, signed and unsigned, then vl and pc.
    static func registers(_ machine: MachineView) -> String {
        let rows = (0..<16).map { i -> [String] in
            let bits = machine.simulator.scalar(i)
            return ["r\(i)", "0x" + hex(bits, digits: 8), String(Int32(bitPattern: bits)), String(bits)]
        } + [["vl", "", String(machine.vl), ""], ["pc", "", String(machine.pc), ""]]
        return Table(header: ["register", "hex", "signed", "unsigned"], rows: rows, rightAligned: [2, 3]).render()
    }

    /// `print`: one register; vector registers lane by lane, 8 (int32) or 16 (int8, trits) a
    /// line, aligned, each line headed by its first lane.
    static func register(_ name: String, float: Bool, _ machine: MachineView) -> String {
        let simulator = machine.simulator
        let index = Int(name.dropFirst()) ?? 0
        switch name.first {
        case _ where name == "vl": return "vl = \(machine.vl) (VLEN \(simulator.config.vlen))\n"
        case _ where name == "pc": return "pc = \(machine.pc)\n"
        case "r":
            let bits = simulator.scalar(index)
            if float { return "\(name) = \(Float(bitPattern: bits)) (0x\(hex(bits, digits: 8)))\n" }
            return "\(name) = \(Int32(bitPattern: bits)) (0x\(hex(bits, digits: 8)), unsigned \(bits))\n"
        case "a":
            let lanes = simulator.accumulator(index)
            let values = float ? lanes.map { String(describing: Float(bitPattern: UInt32(bitPattern: $0))) } : lanes.map(String.init)
            return "\(name)\(float ? ".f32" : "") (\(lanes.count) lanes, vl \(machine.vl)):\n" + laneLines(values, perLine: 8)
        case "v":
            return "\(name) (\(simulator.config.vlen) lanes, vl \(machine.vl)):\n" + laneLines(simulator.int8Vector(index).map(String.init), perLine: 16)
        case "t":
            return "\(name) (\(simulator.config.vlen) trits):\n" + tritLines(simulator.tritVector(index))
        default:
            let rows = simulator.tritMatrix(index)
            let width = String(rows.count - 1).count
            return "\(name) (\(rows.count) rows of \(simulator.config.vlen) trits):\n"
                + rows.enumerated().map { "  row " + pad(String($0.offset), width) + ": " + trits($0.element) }.joined(separator: "\n") + "\n"
        }
    }

    private static func laneLines(_ values: [String], perLine: Int) -> String {
        let width = values.map(\.count).max() ?? 0
        let indexWidth = String(max(0, values.count - 1)).count
        return stride(from: 0, to: values.count, by: perLine).map { i in
            "  [" + pad(String(i), indexWidth) + "]" + values[i..<min(i + perLine, values.count)].map { " " + pad($0, width) }.joined()
        }.joined(separator: "\n") + "\n"
    }

    private static func tritLines(_ values: [Int8]) -> String {
        let indexWidth = String(max(0, values.count - 1)).count
        return stride(from: 0, to: values.count, by: 32).map { i in
            "  [" + pad(String(i), indexWidth) + "] " + trits(Array(values[i..<min(i + 32, values.count)]))
        }.joined(separator: "\n") + "\n"
    }

    /// Trits as `+`, `0`, `-` in groups of 8.
    static func trits(_ values: [Int8]) -> String {
        stride(from: 0, to: values.count, by: 8).map { i in
            String(values[i..<min(i + 8, values.count)].map { $0 > 0 ? "+" : ($0 < 0 ? "-" : "0") })
        }.joined(separator: " ")
    }

    /// One change of the last instruction, on one line.
    static func change(_ change: MachineChange) -> String {
        switch change {
        case .scalar(let index, let old, let new):
            return "r\(index) = \(Int32(bitPattern: new)) (0x\(hex(new, digits: 8))), was \(Int32(bitPattern: old))"
        case .vl(let old, let new):
            return "vl = \(new), was \(old)"
        case .lanes(let file, let index, let lanes, let old, let new):
            let shown = min(lanes.count, 8)
            let show: (Int32) -> String = file == "t" ? { $0 > 0 ? "+" : ($0 < 0 ? "-" : "0") } : { String($0) }
            return "\(file)\(index): \(lanes.count) lane\(lanes.count == 1 ? "" : "s") changed: "
                + (0..<shown).map { "[\(lanes[$0])] \(show(old[$0])) -> \(show(new[$0]))" }.joined(separator: ", ")
                + (lanes.count > shown ? ", ..." : "")
        case .matrix(let index):
            return "m\(index) loaded with other trits ('print m\(index)')"
        case .memory(let space, let address, let old, let new):
            let shown = min(new.count, 16), more = new.count > shown ? " ..." : ""
            return "stored \(memoryName(space, address, new.count)): " + values(Array(new.prefix(shown)), .hex) + more
                + (old == new ? " (unchanged)" : ", was " + values(Array(old.prefix(shown)), .hex) + more)
        case .dmaEnqueued(let transfer):
            return "dma enqueued: " + self.transfer(transfer) + ", ends at cycle \(Format.count(transfer.end))"
        case .dmaCompleted(let transfer):
            return "dma completed: " + self.transfer(transfer) + " (cycle \(Format.count(transfer.end)))"
        case .loops(let old, let new):
            return "loop stack: " + (new.isEmpty ? "empty" : new.map(loop).joined(separator: ", "))
                + ", was " + (old.isEmpty ? "empty" : old.map(loop).joined(separator: ", "))
        }
    }

    /// `dmaa dram 0x0 -> asram 0x40, 8 bytes`.
    static func transfer(_ transfer: MachineView.Transfer) -> String {
        "\(transfer.opcode.mnemonic) \(transfer.source.rawValue) \(hexAddress(transfer.sourceAddress)) -> "
            + "\(transfer.destination.rawValue) \(hexAddress(transfer.destinationAddress)), \(Format.count(transfer.bytes)) bytes"
    }

    /// `pc 5...9, 3 passes left`.
    static func loop(_ loop: MachineView.Loop) -> String {
        "body pc \(loop.start)...\(loop.end - 1), \(loop.remaining) pass\(loop.remaining == 1 ? "" : "es") left"
    }

    /// `dma`: the outstanding transfers, oldest first.
    static func dma(_ machine: MachineView) -> String {
        let transfers = machine.transfers
        var text = "\(transfers.count) of \(machine.dmaQueueDepth) transfers outstanding at cycle \(Format.count(machine.cycle))\n"
        guard !transfers.isEmpty else { return text }
        let rows = transfers.enumerated().map { i, t in
            [String(i + 1), t.opcode.mnemonic, "\(t.source.rawValue) \(hexAddress(t.sourceAddress))",
             "\(t.destination.rawValue) \(hexAddress(t.destinationAddress))", Format.count(t.bytes), Format.count(t.end),
             Format.count(max(0, t.end - machine.cycle))]
        }
        text += Table(header: ["#", "op", "from", "to", "bytes", "ends at cycle", "cycles left"], rows: rows,
                      rightAligned: [0, 4, 5, 6]).render()
        return text
    }

    /// `stalls`: stall cycles by cause, and the cycle identity of ISA.md 6.6.
    static func stalls(_ stop: DebugRun.Stop) -> String {
        let machine = stop.machine
        let total = stop.stalls.sum()
        let rows = stop.stalls.map { [$0.0.rawValue, Format.count($0.1)] } + [["total", Format.count(total)]]
        // After a trap the cycle count includes the trapping instruction's stalls.
        let retired = stop.result?.counters.retired ?? machine.retired
        return Table(header: ["cause", "cycles"], rows: rows, rightAligned: [1]).render()
            + "cycle \(Format.count(machine.cycle)) = \(Format.count(retired)) retired + \(Format.count(total)) stall cycles\n"
    }
}
