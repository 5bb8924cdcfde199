import Foundation
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// `nmp debug`'s command lines: every command and its aliases, and bad lines with the
/// message they get.
struct DebuggerCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var line: String
        var command: DebuggerCommand
        var testDescription: String { line }
    }

    static let valid: [Case] = [
        Case(line: "step", command: .step(1)),
        Case(line: "s 5", command: .step(5)),
        Case(line: "  stepi\t0x10  ", command: .step(16)),
        Case(line: "continue", command: .continue),
        Case(line: "c", command: .continue),
        Case(line: "until 51", command: .until(cycle: 51)),
        Case(line: "break 7", command: .break(.address(7))),
        Case(line: "b sum_loop", command: .break(.label("sum_loop", offset: 0))),
        Case(line: "break abs_value+3", command: .break(.label("abs_value", offset: 3))),
        Case(line: "break loop-1", command: .break(.label("loop", offset: -1))),
        Case(line: "watch asram:0x28", command: .watch(.init(space: .activationSRAM, location: .address(40), count: 1, type: .hex))),
        Case(line: "watch asram:dot.i32", command: .watch(.init(space: .activationSRAM, location: .label("dot", offset: 0), count: 1, type: .i32))),
        Case(line: "w dram:16:4", command: .watch(.init(space: .dram, location: .address(16), count: 4, type: .hex))),
        Case(line: "delete", command: .delete(nil)),
        Case(line: "delete 2", command: .delete(2)),
        Case(line: "regs", command: .registers),
        Case(line: "print r3", command: .print(register: "r3", float: false)),
        Case(line: "p A7", command: .print(register: "a7", float: false)),
        Case(line: "print a0.f32", command: .print(register: "a0", float: true)),
        Case(line: "print r5.f32", command: .print(register: "r5", float: true)),
        Case(line: "print m3", command: .print(register: "m3", float: false)),
        Case(line: "print vl", command: .print(register: "vl", float: false)),
        Case(line: "print pc", command: .print(register: "pc", float: false)),
        Case(line: "x asram:8:8.i32", command: .examine(.init(space: .activationSRAM, location: .address(8), count: 8, type: .i32))),
        Case(line: "x wsram:0:13", command: .examine(.init(space: .weightSRAM, location: .address(0), count: 13, type: .hex))),
        Case(line: "x asram:x:8.i8", command: .examine(.init(space: .activationSRAM, location: .label("x", offset: 0), count: 8, type: .i8))),
        Case(line: "x asram:y+4:2.f32", command: .examine(.init(space: .activationSRAM, location: .label("y", offset: 4), count: 2, type: .f32))),
        Case(line: "x dram:0x690:20.u32", command: .examine(.init(space: .dram, location: .address(0x690), count: 20, type: .u32))),
        Case(line: "x a:0:1.u8", command: .examine(.init(space: .activationSRAM, location: .address(0), count: 1, type: .u8))),
        Case(line: "dma", command: .dma),
        Case(line: "stalls", command: .stalls),
        Case(line: "info", command: .info),
        Case(line: "list", command: .list(nil)),
        Case(line: "l fib_loop", command: .list(.label("fib_loop", offset: 0))),
        Case(line: "help", command: .help),
        Case(line: "quit", command: .quit),
        Case(line: "q  # bye", command: .quit),
        Case(line: "", command: .repeatLast),
        Case(line: "   ", command: .repeatLast),
        Case(line: "# only a comment", command: .repeatLast),
    ]

    @Test(arguments: valid)
    func parses(_ test: Case) throws {
        #expect(try DebuggerCommand.parse(test.line) == test.command)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var line: String
        var message: String
        var testDescription: String { line }
    }

    static let invalid: [Bad] = [
        Bad(line: "contine", message: "unknown command 'contine'; did you mean 'continue'?"),
        Bad(line: "frobnicate", message: "unknown command 'frobnicate'; 'help' lists the commands"),
        Bad(line: "step 0", message: "step count '0' is not a positive integer"),
        Bad(line: "step -3", message: "step count '-3' is not a positive integer"),
        Bad(line: "step 1 2", message: "'step' takes at most one argument, a count"),
        Bad(line: "continue 3", message: "'continue' takes no argument"),
        Bad(line: "until", message: "'until' needs a cycle number"),
        Bad(line: "until soon", message: "cycle 'soon' is not a non-negative integer"),
        Bad(line: "break", message: "'break' needs a pc or a code label"),
        Bad(line: "break 1 2", message: "'break' takes one argument, a pc or a code label"),
        Bad(line: "break 3x", message: "'3x' is neither a number nor a label"),
        Bad(line: "break top+x", message: "offset in 'top+x' is not a non-negative integer"),
        Bad(line: "watch asram", message: "'asram' is not MEM:ADDR[:COUNT][.TYPE] (e.g. asram:0x40:8.i32; TYPE i8, u8, i32, u32 or f32)"),
        Bad(line: "watch sram:0", message: "unknown memory 'sram' (wsram, asram or dram)"),
        Bad(line: "x asram:0", message: "'asram:0' is not MEM:ADDR:COUNT[.TYPE] (e.g. asram:0x40:8.i32; TYPE i8, u8, i32, u32 or f32)"),
        Bad(line: "x asram:0:0", message: "count '0' is not an integer in 1...1048576"),
        Bad(line: "x asram:0:99999999", message: "count '99999999' is not an integer in 1...1048576"),
        Bad(line: "x asram:0:4.f64", message: "unknown element type 'f64' (i8, u8, i32, u32 or f32)"),
        Bad(line: "print", message: "'print' needs a register, e.g. r3, a0 or vl"),
        Bad(line: "print r16", message: "'r16' is not a register (r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc)"),
        Bad(line: "print m4", message: "'m4' is not a register (r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc)"),
        Bad(line: "print r01", message: "'r01' is not a register (r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc)"),
        Bad(line: "print v0.f32", message: ".f32 reads scalar or accumulator registers (r, a), not v0"),
        Bad(line: "delete one", message: "breakpoint number 'one' is not a positive integer"),
        Bad(line: "regs now", message: "'regs' takes no argument"),
        Bad(line: "quit now", message: "'quit' takes no argument"),
    ]

    @Test(arguments: invalid)
    func rejects(_ test: Bad) {
        #expect(throws: DebuggerCommand.ParseError(message: test.message)) { try DebuggerCommand.parse(test.line) }
    }

    /// A pasted megabyte or a terminal escape is quoted short and harmless.
    @Test func longAndControlInputIsQuotedShort() throws {
        for line in [String(repeating: "z", count: 1 << 20), "\u{1B}[2J", "break \u{1B}]0;x\u{07}"] {
            do {
                _ = try DebuggerCommand.parse(line)
                Issue.record("'\(line.prefix(20))' parsed")
            } catch {
                #expect(error.message.utf8.count < 200)
                #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 })
            }
        }
    }

    /// The fuzz target's seeds (fuzz/corpus/debug), with its checks: no trap, short messages
    /// without control characters, accepted commands in range, the same command twice.
    @Test(arguments: repositoryFiles(in: "fuzz/corpus/debug"))
    func fuzzSeedReplays(_ name: String) throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("fuzz/corpus/debug").appendingPathComponent(name))
        let line = String(decoding: data, as: UTF8.self)
        do {
            let command = try DebuggerCommand.parse(line)
            #expect(try DebuggerCommand.parse(line) == command)
            if case .step(let n) = command { #expect(n >= 1) }
            if case .examine(let range) = command { #expect((1...DebuggerCommand.maxCount).contains(range.count)) }
        } catch {
            #expect(error.message.utf8.count <= 512)
            #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    /// Every command of the help summary parses as written with example arguments.
    @Test func helpListsEveryCommand() {
        #expect(DebuggerCommand.summary.count == 15)
        for (syntax, _) in DebuggerCommand.summary {
            let name = String(syntax.split(separator: " ")[0])
            #expect((try? DebuggerCommand.parse(name == "break" || name == "until" ? name + " 1"
                : name == "watch" || name == "x" ? name + " asram:0:1" : name == "print" ? name + " r1" : name)) != nil, "\(syntax)")
        }
    }
}
