import Foundation
import Testing

/// `nmp debug` as a script drives it: commands piped into the built binary, the transcript
/// checked against the programs' hand-derived state (their comments), bad commands answered
/// on stderr without ending the session, bad files and configs refused with exit 1.
struct DebugCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Session {
        var status: Int32
        var out: String
        var err: String
    }

    static func debug(_ arguments: [String], script: String) throws -> Session {
        let run = try ProcessRun(["debug"] + arguments, in: repository, input: script)
        return Session(status: run.status, out: String(decoding: run.out, as: UTF8.self), err: String(decoding: run.err, as: UTF8.self))
    }

    /// dot_product.nasm: break by pc, step, print, x in three types, watch, and the end.
    @Test func dotProductSession() throws {
        let session = try Self.debug(["programs/dot_product.nasm"], script: """
            break 7
            continue
            print a0
            x asram:8:8.i32
            x asram:x:8.i8
            x asram:0:8
            print r3
            watch asram:dot.i32
            continue
            step
            stalls
            quit
            print r2
            """)
        #expect(session.status == 0, "\(session.err)")
        #expect(session.err.isEmpty, "\(session.err)")
        let out = session.out
        // Before the first instruction, with the disassembly around pc 0.
        #expect(out.contains("stopped before the first instruction\npc 0, cycle 0, 0 retired\n  =>     0    addi   r1, r0, 8\n"))
        // asum issues at cycle 7 after 7 instructions; sta before it stored 8 int32 products.
        #expect(out.contains("breakpoint 1 at pc 7\n"))
        #expect(out.contains("stopped at breakpoint 1, pc 7\npc 7, cycle 7, 7 retired\nlast: pc 6  sta    a0, [r0 + 8]  (issued at cycle 6)\n"))
        #expect(out.contains("  stored asram 0x8 (32 bytes): 0C 00 00 00 00 00 00 00 FB FF FF FF 09 00 00 00 ..., was 00"))
        #expect(out.contains("  =>     7    asum   r2, a0\n"))
        // w * x lane by lane: 12 0 -5 9 3 0 4 8; lanes 8... untouched.
        #expect(out.contains("a0 (64 lanes, vl 8):\n  [ 0] 12  0 -5  9  3  0  4  8\n  [ 8]  0  0  0  0  0  0  0  0\n"))
        #expect(out.contains("asram  0x8: 12  0 -5  9  3  0  4  8\n"))
        #expect(out.contains("asram 0x0:  12  -7   5   9  -3 100   4  -8\n"))
        #expect(out.contains("asram 0x0: 0C F9 05 09 FD 64 04 F8\n"))
        // setvl wrote the new vl, 8, to r3.
        #expect(out.contains("r3 = 8 (0x00000008, unsigned 8)\n"))
        // sw of the sum (31) at dot (40) issues at 9 after a data stall of 1.
        #expect(out.contains("watchpoint 2: asram 0x28 (4 bytes) = 0\n"))
        #expect(out.contains("stopped at watchpoint 2: asram 0x28 (4 bytes) changed from 0 to 31\npc 9, cycle 10, 9 retired\n"
                             + "last: pc 8  sw     r2, [r0 + 40]  (issued at cycle 9, data 1)\n"))
        // halt at 10: 11 cycles = 10 instructions + 1 data stall.
        #expect(out.contains("halted at pc 9, cycle 11 (10 retired)\n"))
        #expect(out.contains("data               1\n"))
        #expect(out.contains("cycle 11 = 10 retired + 1 stall cycles\n"))
        // Nothing after quit runs.
        #expect(!out.contains("r2 = 31 (0x0000001F, unsigned 31)"))
    }

    /// scalar_basics.nasm: breakpoints on labels, until a cycle, step N, a register's
    /// changes, watch a word, delete; the comments give part 1's cycles (0..50, a pass of the
    /// loop is 5 cycles with the taken bne) and part 2's stored 144 at cycle 118.
    @Test func scalarBasicsSession() throws {
        let session = try Self.debug(["programs/scalar_basics.nasm"], script: """
            break sum_loop
            c
            c
            print r2
            delete 1
            until 51
            stalls
            step 3
            watch asram:fib.i32
            continue
            break abs_value+3
            break sum_loop-3
            continue
            info
            """)
        #expect(session.status == 0, "\(session.err)")
        #expect(session.err == "error: pc -1 is before the code (112 instructions: pc 0...111)\n")
        let out = session.out
        #expect(out.contains("breakpoint 1 at pc 2 (sum_loop)\n"))
        #expect(out.contains("stopped at breakpoint 1, pc 2 (sum_loop)\npc 2 (sum_loop), cycle 2, 2 retired\n"))
        // The labels have lines of their own in the listing.
        #expect(out.contains("           sum_loop:\n  =>     2    add    r2, r2, r1\n"))
        #expect(out.contains("stopped at breakpoint 1, pc 2 (sum_loop)\npc 2 (sum_loop), cycle 7, 5 retired\n"
                             + "last: pc 4  bne    r1, r0, sum_loop  (issued at cycle 4, branch 2)\n  changed nothing\n"))
        #expect(out.contains("r2 = 10 (0x0000000A, unsigned 10)\n"))
        #expect(out.contains("deleted 1\n"))
        #expect(out.contains("stopped at cycle 51 (until 51)\npc 6, cycle 51, 33 retired\n"))
        #expect(out.contains("branch            18\n"))
        #expect(out.contains("cycle 51 = 33 retired + 18 stall cycles\n"))
        // step 3: add r3, addi r4, addi r5 (cycles 51, 52, 53); the last set r5 = 100.
        #expect(out.contains("stopped after the step\npc 9 (fib_loop), cycle 54, 36 retired\nlast: pc 8  addi   r5, r0, 100  (issued at cycle 53)\n"
                             + "  r5 = 100 (0x00000064), was 0\n"))
        #expect(out.contains("stopped at watchpoint 2: asram 0x4 (4 bytes) changed from 0 to 144\npc 14, cycle 119, "))
        #expect(out.contains("  stored asram 0x4 (4 bytes): 90 00 00 00, was 00 00 00 00\n"))
        // The first call of abs_value (|-37|) reaches its jalr (abs_value + 3) with r12 = 37.
        #expect(out.contains("nmp debug: programs/scalar_basics.nasm, 112 instructions;"))
        #expect(out.contains("breakpoint 3 at pc 111 (abs_done)\n"))
        // Part 3 starts at cycle 119: addi, jal (+2), add, bge (not taken), sub, so the jalr
        // is reached at 126; abs_value is the program's last 4 instructions (108...111).
        #expect(out.contains("stopped at breakpoint 3, pc 111 (abs_done)\npc 111 (abs_done), cycle 126, 86 retired\n"))
        #expect(out.contains("  r12 = 37 (0x00000025), was -37\n"))
        #expect(out.contains("break 3   pc 111 (abs_done)\nwatch 2   asram 0x4 (4 bytes)\n"))
    }

    /// Every bad command gets a message on stderr, and the next command still runs.
    @Test func badCommandsKeepTheSessionAlive() throws {
        let session = try Self.debug(["programs/dot_product.nasm"], script: """
            frobnicate
            break nowhere
            break x
            break 10
            x asram:65532:2.i32
            x wsram:262143:2
            watch dram:0x40000000
            print r16
            x asram:prod+9223372036854775807:1
            x asram:prod-100:1
            break sum_loop-1
            until 0
            step 0

            print r1
            step
            quit
            """)
        #expect(session.status == 0)
        let err = session.err.split(separator: "\n").map(String.init)
        #expect(err == [
            "error: unknown command 'frobnicate'; 'help' lists the commands",
            "error: no code label 'nowhere'",
            "error: 'x' is a label in .adata, not a code label",
            "error: pc 10 is past the code (10 instructions: pc 0...9)",
            "error: asram 65532...65539 (8 bytes) is beyond the 65,536-byte asram",
            "error: wsram 262143...262144 (2 bytes) is beyond the 262,144-byte wsram",
            "error: dram 1073741824 (1 byte) is beyond the 1,073,741,824-byte dram",
            "error: 'r16' is not a register (r0-r15, t0-t7, m0-m3, v0-v7, a0-a7, vl, pc)",
            "error: prod + 9223372036854775807 is beyond any address",
            "error: asram -92 (1 byte) is beyond the 65,536-byte asram",
            "error: no code label 'sum_loop'",
            "error: cycle 0 is not ahead: the machine is at cycle 0",
            "error: step count '0' is not a positive integer",
        ])
        // The empty line repeats nothing: no command has worked yet.
        #expect(session.out.contains("r1 = 0 (0x00000000, unsigned 0)\n"))
        #expect(session.out.contains("pc 1, cycle 1, 1 retired\n"))
    }

    /// An empty line repeats the last command (gdb); the end of the input quits.
    @Test func emptyLineRepeatsAndEndOfInputQuits() throws {
        let session = try Self.debug(["programs/dot_product.nasm"], script: "step 2\n\n\nprint vl\n")
        #expect(session.status == 0 && session.err.isEmpty, "\(session.err)")
        #expect(session.out.contains("pc 2, cycle 2, 2 retired\n"))
        #expect(session.out.contains("pc 4, cycle 4, 4 retired\n"))
        #expect(session.out.contains("pc 6, cycle 6, 6 retired\n"))
        // setvl at pc 1 made vl 8.
        #expect(session.out.hasSuffix("vl = 8 (VLEN 64)\n"))
    }

    /// gemm_prompt.nasm: `info` shows the ternary array's queue, two products at pc 4 (cycle 4),
    /// the second ending at cycle 10 (the program's derivation, ISA.md 6.12).
    @Test func infoShowsTheArrayQueue() throws {
        let session = try Self.debug(["programs/gemm_prompt.nasm"], script: "break 4\ncontinue\ninfo\n")
        #expect(session.status == 0 && session.err.isEmpty, "\(session.err)")
        #expect(session.out.contains("array     2 of 16 products unfinished (the last ends at cycle 10)\n"))
    }

    /// dma_double_buffer.nasm: the queue after setup (dmaa of x ends at 107, dmaw of tile 0
    /// at 118), then dwait 1 waits 91 cycles for x, which lands.
    @Test func dmaSession() throws {
        let session = try Self.debug(["programs/dma_double_buffer.nasm"], script: "break 16\ncontinue\ndma\nstep\nstalls\nx asram:x:5.u8\n")
        #expect(session.status == 0 && session.err.isEmpty, "\(session.err)")
        let out = session.out
        #expect(out.contains("2 of 16 transfers outstanding at cycle 16\n"))
        #expect(out.contains("1  dmaa  dram 0x0   asram 0x0      8            107           91\n"))
        #expect(out.contains("2  dmaw  dram 0x10  wsram 0x0    416            118          102\n"))
        #expect(out.contains("last: pc 16  dwait  1  (issued at cycle 107, dmaWait 91)\n"
                             + "  dma completed: dmaa dram 0x0 -> asram 0x0, 8 bytes (cycle 107)\n"))
        #expect(out.contains("dmaWait           91\n"))
        #expect(out.contains("asram 0x0:  1  2  4  8 16\n"))
    }

    /// absmax_quantize_float.nasm: the token x = [1.0, -2.0, 0.5, 0.1, -0.7, 0.3, 1.5, -1.0]
    /// as float32; at the end r3 = max|x| = 2.0 and r5 = s = 63.5.
    @Test func floatSession() throws {
        let session = try Self.debug(["programs/absmax_quantize_float.nasm"],
                                     script: "x asram:x:8.f32\ncontinue\nprint r3.f32\nprint r5.f32\nprint a0.f32\n")
        #expect(session.status == 0 && session.err.isEmpty, "\(session.err)")
        #expect(session.out.contains("asram  0x0:  1.0 -2.0  0.5  0.1 -0.7  0.3  1.5 -1.0\n"))
        #expect(session.out.contains("halted at pc 21, cycle 54 (22 retired)\n"))
        #expect(session.out.contains("r3 = 2.0 (0x40000000)\n"))
        #expect(session.out.contains("r5 = 63.5 (0x427E0000)\n"))
        #expect(session.out.contains("a0.f32 (64 lanes, vl 8):\n  [ 0]  1.0 -2.0  0.5  0.1 -0.7  0.3  1.5 -1.0\n"))
    }

    /// A trap is reported with its cause and pc, and the machine can still be inspected;
    /// stepping on is refused with a message.
    @Test func trapSession() throws {
        let path = try temporaryDirectory().appendingPathComponent("trap.nasm")
        try "addi r2, r0, 2\naddi r3, r0, 7\nlw r4, [r2]\nhalt\n".write(to: path, atomically: true, encoding: .utf8)
        let session = try Self.debug([path.path], script: "continue\nprint r3\nstep\nregs\n")
        #expect(session.status == 0)
        #expect(session.out.contains("trap: misaligned at pc 2, cycle 2: lw     r4, [r2]\n"))
        #expect(session.out.contains("r3 = 7 (0x00000007, unsigned 7)\n"))
        #expect(session.out.contains("r2        0x00000002       2         2\n"))
        #expect(session.err == "error: the program has trapped; inspect it, or quit\n")
    }

    /// `--commands FILE` reads the script from a file.
    @Test func commandsFromAFile() throws {
        let path = try temporaryDirectory().appendingPathComponent("script.txt")
        try "step 3\nprint t0\n".write(to: path, atomically: true, encoding: .utf8)
        let run = try ProcessRun(["debug", "programs/dot_product.nasm", "--commands", path.path], in: Self.repository, input: "")
        let out = String(decoding: run.out, as: UTF8.self)
        #expect(run.status == 0)
        // ldt unpacked w = +0-+-0+- into lanes 0..7 of t0.
        #expect(out.contains("  t0: 6 lanes changed: [0] 0 -> +, [2] 0 -> -, [3] 0 -> +, [4] 0 -> -, [6] 0 -> +, [7] 0 -> -\n"))
        #expect(out.contains("t0 (64 trits):\n  [ 0] +0-+-0+- 00000000 00000000 00000000\n"))
    }

    struct BadInvocation: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badInvocations: [BadInvocation] = [
        BadInvocation(arguments: ["programs/missing.nasm"], status: 1, message: "programs/missing.nasm"),
        BadInvocation(arguments: ["README.md"], status: 1, message: "'README.md' has errors; nothing was run"),
        BadInvocation(arguments: ["programs/dot_product.nasm", "--config", "examples/machines/bad.json"], status: 1,
                      message: "nmp debug: error: examples/machines/bad.json: field 'weightSRAM.banks': must be at least 1 (got 0)"),
        BadInvocation(arguments: ["programs/gemv_tiled.nasm", "--config", "examples/machines/wide.json"], status: 1,
                      message: "the program requires vlen = 64"),
        BadInvocation(arguments: ["programs/dot_product.nasm", "--commands", "/nonexistent/script"], status: 1, message: "/nonexistent/script"),
        BadInvocation(arguments: [], status: 2, message: "missing program (.nasm or .nmc)"),
        BadInvocation(arguments: ["programs/dot_product.nasm", "--trace"], status: 2, message: "unknown option '--trace'"),
        BadInvocation(arguments: ["programs/dot_product.nasm", "--max-cycles", "0"], status: 2, message: "--max-cycles '0' is not an integer"),
    ]

    @Test(arguments: badInvocations)
    func badInvocationIsRefused(_ test: BadInvocation) throws {
        let session = try Self.debug(test.arguments, script: "continue\n")
        #expect(session.status == test.status)
        #expect(session.err.contains(test.message), "\(session.err)")
        #expect(!session.out.contains("stopped"))
    }

    @Test func helpListsTheCommands() throws {
        let run = try ProcessRun(["debug", "--help"], in: Self.repository)
        let out = String(decoding: run.out, as: UTF8.self)
        #expect(run.status == 0)
        for word in ["usage: nmp debug", "watch MEM:ADDR", "x MEM:ADDR:COUNT", "until CYCLE", "--commands", "history"] {
            #expect(out.contains(word), "\(word)")
        }
    }
}
