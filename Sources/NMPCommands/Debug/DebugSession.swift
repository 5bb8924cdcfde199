import NMPAssembler
import NMPISA
import NMPSimulator
import NMPSupport

/// The `nmp debug` command loop: executes one line at a time against a `DebugRun`, writes
/// answers to stdout and mistakes to stderr, and never ends the session on a bad command.
final class DebugSession {
    let program: String
    let run: DebugRun
    let console: Console
    let image: MicrocodeImage
    /// Code labels by instruction index, for the disassembly.
    let labels: [Int64: [String]]
    private var stop: DebugRun.Stop?
    private var previous: DebuggerCommand?
    /// The element type each watchpoint was set with, to show its values.
    private var watchTypes: [Int: DebuggerCommand.ElementType] = [:]

    init(program: String, run: DebugRun, console: Console) {
        self.program = program
        self.run = run
        self.console = console
        image = run.simulator.image
        labels = Disassembler.labelMap(image.symbols.filter { $0.space == .code })
    }

    /// Stops before the first instruction and shows where.
    func start() {
        console.out("nmp debug: \(program), \(image.code.count) instructions; 'help' lists the commands\n")
        show(run.resume(.steps(0)))
    }

    /// Executes one line; false when the session should end (quit).
    func execute(_ line: String) -> Bool {
        var command: DebuggerCommand
        do {
            command = try DebuggerCommand.parse(line)
        } catch {
            console.err("error: \(error.message)\n")
            return true
        }
        if command == .repeatLast {
            guard let previous else { return true }
            command = previous
        }
        do {
            let goOn = try perform(command)
            previous = command   // only a command that worked is worth repeating
            return goOn
        } catch {
            console.err("error: \(error.message)\n")
            return true
        }
    }

    private struct Failure: Error { var message: String }

    private func perform(_ command: DebuggerCommand) throws(Failure) -> Bool {
        guard let stop else { return false }
        let machine = stop.machine
        switch command {
        case .step(let n):
            try resume(.steps(n))
        case .continue:
            try resume(.toEnd)
        case .until(let cycle):
            guard cycle > machine.cycle else {
                throw Failure(message: "cycle \(cycle) is not ahead: the machine is at cycle \(machine.cycle)")
            }
            try resume(.untilCycle(cycle))
        case .break(let location):
            let pc = try codeAddress(location)
            guard let breakpoint = run.addBreakpoint(pc: pc) else { throw Failure(message: "pc \(pc) is past the code") }
            console.out("breakpoint \(breakpoint.number) at pc \(pc)\(labelSuffix(pc))\n")
        case .watch(let range):
            let (address, bytes) = try memoryRange(range)
            guard let watchpoint = run.addWatchpoint(space: range.space, address: address, bytes: bytes) else {
                throw Failure(message: "\(range.space.rawValue) has no \(bytes) bytes at \(address)")
            }
            watchTypes[watchpoint.number] = range.type
            let value = run.simulator.read(range.space, at: address, count: bytes) ?? []
            console.out("watchpoint \(watchpoint.number): \(DebugText.memoryName(range.space, address, bytes)) = "
                        + DebugText.values(value, range.type) + "\n")
        case .delete(let number):
            guard run.delete(number) else {
                throw Failure(message: number.map { "there is no breakpoint or watchpoint \($0)" } ?? "there are no breakpoints or watchpoints")
            }
            console.out(number.map { "deleted \($0)\n" } ?? "deleted all breakpoints and watchpoints\n")
        case .registers:
            console.out(DebugText.registers(machine))
        case .print(let register, let float):
            console.out(DebugText.register(register, float: float, machine))
        case .examine(let range):
            let (address, _) = try memoryRange(range)
            console.out(DebugText.memory(run.simulator, range.space, address, range.count, range.type))
        case .dma:
            console.out(DebugText.dma(machine))
        case .stalls:
            console.out(DebugText.stalls(stop))
        case .info:
            console.out(info(stop))
        case .list(let location):
            let pc = try location.map { (l: DebuggerCommand.Location) throws(Failure) -> Int in try codeAddress(l) } ?? machine.pc
            console.out(listing(around: pc, marking: machine.pc, before: 5, after: 5))
        case .help:
            let width = DebuggerCommand.summary.map(\.syntax.count).max() ?? 0
            console.out(DebuggerCommand.summary.map { "  " + $0.syntax.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.meaning }
                .joined(separator: "\n") + "\n")
        case .quit:
            return false
        case .repeatLast:
            break
        }
        return true
    }

    private func resume(_ mode: DebugRun.Mode) throws(Failure) {
        guard !run.ended else {
            throw Failure(message: "the program has \(stop?.result?.halted == true ? "halted" : "trapped"); inspect it, or quit")
        }
        show(run.resume(mode))
    }

    // MARK: Showing a stop

    private func show(_ stop: DebugRun.Stop) {
        self.stop = stop
        let machine = stop.machine
        var text = ""
        for reason in stop.reasons { text += reasonText(reason, machine) + "\n" }
        text += "pc \(machine.pc)\(labelSuffix(machine.pc)), cycle \(Format.count(machine.cycle)), "
            + "\(Format.count(machine.retired)) retired\n"
        if let last = stop.last {
            text += "last: pc \(last.pc)  \(Disassembler.text(ofWord: last.word, pc: Int64(last.pc), labels: labels))"
                + "  (issued at cycle \(Format.count(last.cycle))"
                + last.stalls.map { ", \($0.cause.rawValue) \($0.cycles)" }.joined() + ")\n"
            let changes = stop.changes.map { DebugText.change($0) }
            text += changes.isEmpty ? "  changed nothing\n" : changes.map { "  " + $0 + "\n" }.joined()
        }
        if stop.result == nil || stop.result?.trap != nil {
            text += listing(around: machine.pc, marking: machine.pc, before: 2, after: 3)
        }
        console.out(text)
    }

    private func reasonText(_ reason: DebugRun.Reason, _ machine: MachineView) -> String {
        switch reason {
        case .start: return "stopped before the first instruction"
        case .step: return "stopped after the step"
        case .breakpoint(let number, let pc): return "stopped at breakpoint \(number), pc \(pc)\(labelSuffix(pc))"
        case .watch(let number, let old, let new):
            let type = watchTypes[number] ?? .hex
            let watchpoint = run.watchpoints.first { $0.number == number }
            let name = watchpoint.map { DebugText.memoryName($0.space, $0.address, $0.bytes) } ?? "watchpoint"
            return "stopped at watchpoint \(number): \(name) changed from \(DebugText.values(old, type)) to \(DebugText.values(new, type))"
        case .cycle(let cycle): return "stopped at cycle \(Format.count(machine.cycle)) (until \(Format.count(cycle)))"
        case .halted: return "halted at pc \(machine.pc), cycle \(Format.count(machine.cycle)) (\(Format.count(machine.retired)) retired)"
        case .trapped(let trap):
            let text = trap.word.map { Disassembler.text(ofWord: $0, pc: Int64(trap.pc), labels: labels) } ?? "no instruction"
            return "trap: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(Format.count(trap.cycle)): \(text)\n"
                + "  \(trap.detail)\n  note: \(trap.cause.advice)"
        }
    }

    /// Instructions `before` ... `after` around `pc`, labels on lines of their own, `=>` at `mark`.
    private func listing(around pc: Int, marking mark: Int, before: Int, after: Int) -> String {
        let count = image.code.count
        guard count > 0 else { return "  (no code)\n" }
        let center = min(max(pc, 0), count - 1)
        var text = ""
        for index in max(0, center - before)...min(count - 1, center + after) {
            for label in labels[Int64(index)] ?? [] { text += "           \(label):\n" }
            let number = String(index)
            text += (index == mark ? "  => " : "     ") + String(repeating: " ", count: max(0, 5 - number.count)) + number
                + "    " + Disassembler.text(ofWord: image.code[index], pc: Int64(index), labels: labels) + "\n"
        }
        return text
    }

    private func labelSuffix(_ pc: Int) -> String {
        labels[Int64(pc)].map { " (" + $0.joined(separator: ", ") + ")" } ?? ""
    }

    private func info(_ stop: DebugRun.Stop) -> String {
        let machine = stop.machine
        let state = stop.result.map { $0.trap.map { "trapped (\($0.cause.rawValue))" } ?? "halted" } ?? "stopped"
        var text = "program   \(program) (\(image.code.count) instructions)\n"
        text += "state     \(state) at pc \(machine.pc)\(labelSuffix(machine.pc)), cycle \(Format.count(machine.cycle)), "
            + "\(Format.count(machine.retired)) retired\n"
        text += "vl        \(machine.vl) of VLEN \(run.simulator.config.vlen)\n"
        text += "loops     " + (machine.loops.isEmpty ? "none" : machine.loops.map(DebugText.loop).joined(separator: ", ")) + "\n"
        text += "dma       \(machine.transfers.count) of \(machine.dmaQueueDepth) transfers outstanding\n"
        let products = machine.products
        text += "array     \(products.count) of \(machine.arrayQueueDepth) products unfinished"
            + (products.last.map { " (the last ends at cycle \(Format.count($0.end)))" } ?? "") + "\n"
        for breakpoint in run.breakpoints {
            text += "break \(breakpoint.number)   pc \(breakpoint.pc)\(labelSuffix(breakpoint.pc))\n"
        }
        for watchpoint in run.watchpoints {
            text += "watch \(watchpoint.number)   \(DebugText.memoryName(watchpoint.space, watchpoint.address, watchpoint.bytes))\n"
        }
        if run.breakpoints.isEmpty && run.watchpoints.isEmpty { text += "no breakpoints or watchpoints\n" }
        return text
    }

    // MARK: Resolving locations

    /// The instruction index a location names.
    private func codeAddress(_ location: DebuggerCommand.Location) throws(Failure) -> Int {
        let count = image.code.count
        let pc: Int
        switch location {
        case .address(let n):
            pc = n
        case .label(let name, let offset):
            guard let symbol = image.symbols.first(where: { $0.space == .code && $0.name == name }) else {
                if let other = image.symbols.first(where: { $0.name == name }) {
                    throw Failure(message: "'\(name)' is a label in \(other.space.sectionDirective ?? ".equ"), not a code label")
                }
                let guess = Suggestion.nearest(to: name, in: image.symbols.filter { $0.space == .code }.map(\.name))
                throw Failure(message: "no code label '\(Suggestion.quoted(name))'" + (guess.map { "; did you mean '\($0)'?" } ?? ""))
            }
            pc = try Self.offset(symbol, offset)
        }
        guard (0..<count).contains(pc) else {
            throw Failure(message: "pc \(pc) is \(pc < 0 ? "before" : "past") the code (\(count) instructions: pc 0...\(count - 1))")
        }
        return pc
    }

    /// A label's value plus an offset, which a typed offset may make overflow.
    private static func offset(_ symbol: Symbol, _ offset: Int) throws(Failure) -> Int {
        let (sum, overflow) = Int(symbol.value).addingReportingOverflow(offset)
        guard !overflow else { throw Failure(message: "\(symbol.name) + \(offset) is beyond any address") }
        return sum
    }

    /// The address and byte count of a memory range, checked against the memory.
    private func memoryRange(_ range: DebuggerCommand.MemoryRange) throws(Failure) -> (Int, Int) {
        let space = range.space
        let address: Int
        switch range.location {
        case .address(let n):
            address = n
        case .label(let name, let offset):
            let symbolSpace: SymbolSpace = switch space {
            case .weightSRAM: .weightSRAM
            case .activationSRAM: .activationSRAM
            case .dram: .dram
            }
            guard let symbol = image.symbols.first(where: { $0.space == symbolSpace && $0.name == name }) else {
                let guess = Suggestion.nearest(to: name, in: image.symbols.filter { $0.space == symbolSpace }.map(\.name))
                throw Failure(message: "no \(space.rawValue) label '\(Suggestion.quoted(name))'" + (guess.map { "; did you mean '\($0)'?" } ?? ""))
            }
            address = try Self.offset(symbol, offset)
        }
        let size = run.simulator.size(of: space)
        let bytes = range.count * range.type.size
        guard address >= 0, address <= size, bytes <= size - address else {
            let range = bytes == 1 || address > Int.max - bytes ? "\(address) (\(bytes) byte\(bytes == 1 ? "" : "s"))"
                : "\(address)...\(address + bytes - 1) (\(bytes) bytes)"
            throw Failure(message: "\(space.rawValue) \(range) is beyond the \(Format.count(size))-byte \(space.rawValue)")
        }
        return (address, bytes)
    }
}
