import NMPISA
import NMPSupport

/// One command of `nmp debug`, parsed from a line (`DebuggerCommand.parse`). Names (labels,
/// registers) are checked against the program and machine by the session, not here.
public enum DebuggerCommand: Equatable, Sendable {
    /// Retire this many instructions (at least 1), then stop.
    case step(Int)
    /// Run to a breakpoint, a watched change, halt or a trap.
    case `continue`
    /// Run until the cycle reaches this value (or something else stops the run first).
    case until(cycle: Int)
    /// Stop before the instruction at this code location is fetched.
    case `break`(Location)
    /// Stop after an instruction (or a DMA transfer) changes these bytes.
    case watch(MemoryRange)
    /// Remove breakpoint or watchpoint N, or all of them.
    case delete(Int?)
    /// The scalar registers, vl and pc.
    case registers
    /// One register: r0...r15 (`.f32` to read the bits as a float), t, m, v, a (lanes), vl, pc.
    case print(register: String, float: Bool)
    /// Memory contents.
    case examine(MemoryRange)
    /// The DMA queue.
    case dma
    /// Stall cycles by cause so far.
    case stalls
    /// Where the run is: pc, cycle, breakpoints, watchpoints, loop stack, DMA and array queues.
    case info
    /// The disassembly around a location (default: the pc).
    case list(Location?)
    case help
    case quit
    /// An empty line: repeat the previous command (gdb).
    case repeatLast

    /// A code or data location: a number, or a label plus an offset (`loop_top`, `x+4`).
    public enum Location: Equatable, Sendable {
        case address(Int)
        case label(String, offset: Int)
    }

    /// How `x` and `watch` read memory: elements of a type. `.hex` shows bytes in hex.
    public enum ElementType: String, CaseIterable, Sendable {
        case hex, i8, u8, i32, u32, f32
        /// Bytes per element.
        public var size: Int { self == .i32 || self == .u32 || self == .f32 ? 4 : 1 }
    }

    /// `count` elements of `type` at `location` in `space`: `asram:0x40:8.i32`.
    public struct MemoryRange: Equatable, Sendable {
        public var space: MemorySpace
        public var location: Location
        public var count: Int
        public var type: ElementType

        public init(space: MemorySpace, location: Location, count: Int, type: ElementType) {
            self.space = space
            self.location = location
            self.count = count
            self.type = type
        }
    }

    /// An error naming what is wrong with the line.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// One line of every command, for `help`.
    public static let summary: [(syntax: String, meaning: String)] = [
        ("step [N]", "retire N instructions (default 1), then stop; also s"),
        ("continue", "run to a breakpoint, a watched change, halt or a trap; also c"),
        ("until CYCLE", "run until the cycle count reaches CYCLE"),
        ("break PC|LABEL[+N]", "stop before that instruction; also b"),
        ("watch MEM:ADDR[:COUNT][.TYPE]", "stop when those bytes change (MEM: wsram, asram, dram)"),
        ("delete [N]", "remove breakpoint/watchpoint N, or all"),
        ("regs", "scalar registers r0-r15, vl and pc"),
        ("print REG[.f32]", "one register: r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc; also p"),
        ("x MEM:ADDR:COUNT[.TYPE]", "memory: COUNT elements, TYPE i8, u8, i32, u32, f32 (default hex bytes)"),
        ("dma", "the DMA queue: outstanding transfers"),
        ("stalls", "stall cycles by cause so far"),
        ("info", "pc, cycle, breakpoints, watchpoints, loop stack, DMA and array queues"),
        ("list [PC|LABEL]", "the disassembly around the pc (or a location); also l"),
        ("help", "this list"),
        ("quit", "leave the debugger; also q (end of input too)"),
    ]

    /// The memory names `watch` and `x` accept, with the ISA's names first.
    public static let memoryNames: [(String, MemorySpace)] = [
        ("wsram", .weightSRAM), ("asram", .activationSRAM), ("dram", .dram),
        ("w", .weightSRAM), ("a", .activationSRAM), ("d", .dram),
        ("weight", .weightSRAM), ("activation", .activationSRAM),
    ]

    /// The largest count `x` and `watch` accept (1 MiB of elements): a debugger shows a
    /// screenful, and a typo must not print a gigabyte.
    public static let maxCount = 1 << 20

    /// Parses one line. Words are separated by spaces or tabs; `#` starts a comment.
    public static func parse(_ line: String) throws(ParseError) -> DebuggerCommand {
        let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let name = words.first else { return .repeatLast }
        let arguments = Array(words.dropFirst())
        func fail(_ why: String) -> ParseError { ParseError(message: why) }
        func none() throws(ParseError) {
            guard arguments.isEmpty else { throw fail("'\(name)' takes no argument") }
        }
        func one(_ what: String) throws(ParseError) -> String {
            guard arguments.count == 1 else {
                throw fail(arguments.isEmpty ? "'\(name)' needs \(what)" : "'\(name)' takes one argument, \(what)")
            }
            return arguments[0]
        }
        switch name.lowercased() {
        case "step", "s", "stepi", "si":
            guard arguments.count <= 1 else { throw fail("'\(name)' takes at most one argument, a count") }
            guard let text = arguments.first else { return .step(1) }
            guard let n = number(text), n >= 1 else { throw fail("step count '\(quoted(text))' is not a positive integer") }
            return .step(n)
        case "continue", "c", "cont":
            try none()
            return .continue
        case "until", "u":
            let text = try one("a cycle number")
            guard let cycle = number(text) else { throw fail("cycle '\(quoted(text))' is not a non-negative integer") }
            return .until(cycle: cycle)
        case "break", "b", "br":
            return .break(try location(try one("a pc or a code label")))
        case "watch", "w":
            return .watch(try memoryRange(try one("MEM:ADDR, e.g. asram:0x40 or asram:40.i32"), countRequired: false))
        case "delete", "d":
            guard arguments.count <= 1 else { throw fail("'\(name)' takes at most one argument, a breakpoint number") }
            guard let text = arguments.first else { return .delete(nil) }
            guard let n = number(text), n >= 1 else { throw fail("breakpoint number '\(quoted(text))' is not a positive integer") }
            return .delete(n)
        case "regs", "registers", "r":
            try none()
            return .registers
        case "print", "p":
            var register = try one("a register, e.g. r3, a0 or vl").lowercased()
            var float = false
            if register.hasSuffix(".f32") {
                register.removeLast(4)
                float = true
            }
            guard isRegister(register) else {
                throw fail("'\(quoted(register))' is not a register (r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc)")
            }
            if float && !(register.hasPrefix("r") || register.hasPrefix("a")) {
                throw fail(".f32 reads scalar or accumulator registers (r, a), not \(register)")
            }
            return .print(register: register, float: float)
        case "x", "examine":
            return .examine(try memoryRange(try one("MEM:ADDR:COUNT[.TYPE], e.g. asram:0:16.i8"), countRequired: true))
        case "dma":
            try none()
            return .dma
        case "stalls":
            try none()
            return .stalls
        case "info", "i":
            try none()
            return .info
        case "list", "l":
            guard arguments.count <= 1 else { throw fail("'\(name)' takes at most one argument, a pc or a code label") }
            return .list(try arguments.first.map { (text: String) throws(ParseError) -> Location in try location(text) })
        case "help", "h", "?":
            return .help
        case "quit", "q", "exit":
            try none()
            return .quit
        default:
            let names = ["step", "continue", "until", "break", "watch", "delete", "regs", "print", "x", "dma", "stalls",
                         "info", "list", "help", "quit"]
            let guess = Suggestion.nearest(to: name, in: names)
            throw fail("unknown command '\(quoted(name))'" + (guess.map { "; did you mean '\($0)'?" } ?? "; 'help' lists the commands"))
        }
    }

    /// `r0`...`r15`, `t0`...`t7`, `m0`...`m3`, `v0`...`v7`, `a0`...`a7`, `vl`, `pc`.
    static func isRegister(_ name: String) -> Bool {
        if name == "vl" || name == "pc" { return true }
        let counts: [Character: Int] = ["r": 16, "t": 8, "m": 4, "v": 8, "a": 8]
        guard let file = name.first, let count = counts[file], name.count <= 3,
              let index = Int(name.dropFirst()), String(index) == name.dropFirst() else { return false }
        return (0..<count).contains(index)
    }

    /// A number (decimal or 0x hex, non-negative) or a label with an optional `+N`/`-N`.
    static func location(_ text: String) throws(ParseError) -> Location {
        if let n = number(text) { return .address(n) }
        var name = Substring(text), offset = 0
        if let sign = text.lastIndex(where: { $0 == "+" || $0 == "-" }), sign != text.startIndex {
            guard let n = number(String(text[text.index(after: sign)...])) else {
                throw ParseError(message: "offset in '\(quoted(text))' is not a non-negative integer")
            }
            name = text[..<sign]
            offset = text[sign] == "-" ? -n : n
        }
        guard let first = name.first, first.isLetter || first == "_" || first == ".",
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
            throw ParseError(message: "'\(quoted(text))' is neither a number nor a label")
        }
        return .label(String(name), offset: offset)
    }

    /// `MEM:ADDR[:COUNT][.TYPE]`; COUNT defaults to 1 unless required.
    static func memoryRange(_ text: String, countRequired: Bool) throws(ParseError) -> MemoryRange {
        var body = Substring(text), type = ElementType.hex
        if let dot = text.lastIndex(of: ".") {
            let suffix = text[text.index(after: dot)...].lowercased()
            if let parsed = ElementType(rawValue: suffix) {
                type = parsed
                body = text[..<dot]
            } else if let letter = suffix.first, letter.isLetter, suffix.dropFirst().allSatisfy(\.isNumber), suffix.count > 1 {
                throw ParseError(message: "unknown element type '\(quoted(suffix))' (i8, u8, i32, u32 or f32)")
            }
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let form = countRequired ? "MEM:ADDR:COUNT[.TYPE]" : "MEM:ADDR[:COUNT][.TYPE]"
        guard parts.count == 3 || (!countRequired && parts.count == 2) else {
            throw ParseError(message: "'\(quoted(text))' is not \(form) (e.g. asram:0x40:8.i32; TYPE i8, u8, i32, u32 or f32)")
        }
        guard let space = memoryNames.first(where: { $0.0 == parts[0].lowercased() })?.1 else {
            throw ParseError(message: "unknown memory '\(quoted(parts[0]))' (wsram, asram or dram)")
        }
        let location = try location(parts[1])
        var count = 1
        if parts.count == 3 {
            guard let n = number(parts[2]), n >= 1, n <= maxCount else {
                throw ParseError(message: "count '\(quoted(parts[2]))' is not an integer in 1...\(maxCount)")
            }
            count = n
        }
        return MemoryRange(space: space, location: location, count: count, type: type)
    }

    /// A decimal or 0x-hex non-negative integer.
    static func number(_ text: String) -> Int? {
        let value = text.hasPrefix("0x") || text.hasPrefix("0X") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        return value.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `text` for a message: short, without control characters (`Quoted`).
    static func quoted(_ text: String) -> String { Quoted.text(text, limit: 40) }
}
