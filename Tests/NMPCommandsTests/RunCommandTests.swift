import Foundation
import Testing
@testable import NMPCommands

/// `nmp run` as a user meets it: source or image in, report out; every bad input a
/// message and exit 1 (2 for a bad command line), never a crash.
struct RunCommandTests {
    static func write(_ text: String, _ name: String = "p.nasm") throws -> String {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let gemv = repository.appendingPathComponent("programs/gemv_tiled.nasm").path

    @Test func humanReportHasUnitsAndEveryTable() throws {
        let run = Run("run", Self.gemv)
        #expect(run.status == 0, "\(run.err)")
        for text in ["outcome  halted", "cycles", "482", "IPC", "stall cause", "bankConflict", "instruction class",
                     "weight SRAM", "trit operation", "skip (0)", "energy", "pJ", "GB/s", "static", "% of peak"] {
            #expect(run.out.contains(text), "report lacks '\(text)'")
        }
    }

    @Test func jsonReportHasTheDocumentedTopLevel() throws {
        let run = Run("run", Self.gemv, "--json")
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "nmp-run/1")
        #expect(object["cycles"] as? Int == 482)
        #expect(object["instructions"] as? Int == 286)
        #expect((object["energy_pj"] as? Double ?? 0) > 0)
        for key in ["halted", "trap", "seconds", "ipc", "mac_utilization", "dram_bandwidth_gbps", "instructions_by_class",
                    "instructions_by_opcode", "stalls", "trit_ops", "traffic_bytes", "events", "energy_pj_by_category",
                    "energy_pj_by_event", "config"] {
            #expect(object[key] != nil, "JSON lacks '\(key)'")
        }
        let config = try #require(object["config"] as? [String: Any])
        #expect(config["vlen"] as? Int == 64)
    }

    @Test func runsAnImageToo() throws {
        let dir = try temporaryDirectory()
        let image = dir.appendingPathComponent("g.nmc").path
        #expect(Run("asm", Self.gemv, "-o", image).status == 0)
        let run = Run("run", image, "--json")
        #expect(run.status == 0)
        #expect(run.out.contains("\"cycles\": 482"))
    }

    @Test func traceHasOneLinePerRetiredInstruction() throws {
        let path = try Self.write("addi r1, r0, 6\nmul r2, r1, r1\nadd r3, r2, r1\nhalt\n")
        let run = Run("run", path, "--trace")
        #expect(run.status == 0)
        // The trace goes to stderr: stdout is the report alone.
        #expect(run.out.hasPrefix("program  "))
        let lines = run.err.split(separator: "\n").filter { !$0.hasPrefix("                    ") }
        #expect(lines.count == 5)  // header + 4 instructions
        #expect(lines[3].contains("r3, r2, r1") && lines[3].contains("data 2") && lines[3].hasPrefix("         4"))
        // Each instruction's written register with its new value, on the line below it.
        #expect(run.err.contains("r2, r1, r1\n                      r2 = 36 (0x00000024)\n"))
        #expect(run.err.contains("r3 = 42 (0x0000002A)"))
        let json = Run("run", path, "--trace", "--json")
        #expect(json.err.contains("r2, r1, r1"))
        #expect((try? JSONSerialization.jsonObject(with: Data(json.out.utf8))) != nil)
    }

    /// A store's memory and bytes, a vector register's lanes, and a DMA transfer's start
    /// (at its enqueue) and end (before the first instruction issuing at its end cycle: 8
    /// bytes enqueued at cycle 2 flow at 103 and end at 104, ISA.md 6.5).
    @Test func traceShowsMemoryVectorsAndDMA() throws {
        let path = try Self.write("""
            addi r1, r0, -5
            sw   r1, [r0 + 8]
            addi r2, r0, 8
            dmas r0, r0, r2
            ldv  v1, [r0 + 8]
            dwait 0
            halt
            """)
        let run = Run("run", path, "--trace")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("asram[0x8] = FB FF FF FF"))
        #expect(run.err.contains("v1 = [-5, -1, -1, -1, 0, 0, 0, 0, ...] (64 lanes)"))
        #expect(run.err.contains("dma start: dmas 8 B asram 0x0 -> dram 0x0, data cycles 104 ..< 105"))
        let end = try #require(run.err.range(of: "       105          dma end: dmas 8 B asram 0x0 -> dram 0x0 copied\n"))
        // The end line comes before dwait's line (dwait issues at 105, the end cycle).
        let dwait = try #require(run.err.range(of: "dwait  0"))
        #expect(end.upperBound <= dwait.lowerBound)
    }

    /// `--trace-file`: the same lines into a file, nothing on stderr; not with --trace.
    @Test func traceFileHoldsTheTrace() throws {
        let path = try Self.write("addi r1, r0, 6\nhalt\n")
        let file = try temporaryDirectory().appendingPathComponent("trace.txt").path
        let run = Run("run", path, "--trace-file", file)
        #expect(run.status == 0 && run.err.isEmpty && run.out.hasPrefix("program  "))
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("r1 = 6 (0x00000006)") && text.contains("halt"))
        #expect(Run("run", path, "--trace", "--trace-file", file).status == 2)
        #expect(Run("run", path, "--trace-file", path).status == 1)   // never over the program
    }

    /// A trace names a code target by a code label, never by a constant or a data label of
    /// the same value.
    @Test func traceLabelsCodeTargetsWithCodeLabelsOnly() throws {
        let path = try Self.write("""
            .equ THREE, 3
                    addi r4, r0, 2
                    loop r4, done
                    nop
            done:   halt
            .adata
                    .byte 0, 0, 0
            three:  .byte 1
            """)
        let run = Run("run", path, "--trace")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("loop   r4, done"))
        #expect(!run.err.contains("THREE") && !run.err.contains("three"))
    }

    @Test func dumpsRegistersAndMemory() throws {
        let path = try Self.write("addi r1, r0, -5\nsw r1, [r0 + 8]\nhalt\n")
        let run = Run("run", path, "--dump", "regs", "--dump", "asram.i32:8:2", "--dump", "asram:0:16,a0")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("0xFFFFFFFB"))
        #expect(run.out.contains("asram.i32[8]: -5 0"))
        #expect(run.out.contains("asram 0x00000000: 00 00 00 00 00 00 00 00 fb ff ff ff 00 00 00 00".uppercased().replacingOccurrences(of: "ASRAM 0X", with: "asram 0x")))
        #expect(run.out.contains("a0[0...]"))
    }

    @Test(arguments: [
        // (program, arguments, status, message fragment)
        ("beq r0, r0, 9\nhalt\n", [String](), 1, "illegalInstruction at pc 9"),
        ("addi r1, r0, 1\nlui r2, 1\nlw r3, [r2]\nhalt\n", [], 1, "outOfBounds at pc 2"),
        ("lui r1, 0x4000\naddi r2, r0, 1\ndmaw r0, r1, r2\nhalt\n", [], 1, "dmaFault at pc 2"),
        ("x: beq r0, r0, x\n", ["--max-cycles", "5000"], 1, "cycleLimit"),
        ("halt\n", ["--dump", "asram:65530:100"], 1, "does not fit in the 65536-byte asram"),
        ("halt\n", ["--dump", "q7"], 1, "--dump 'q7'"),
        ("halt\n", ["--dump", "t9"], 1, "there is no register t9"),
        ("halt\n", ["--max-cycles", "-3"], 2, "--max-cycles"),
        ("halt\n", ["--bogus"], 2, "unknown option"),
        ("addi r1, r0\n", [], 1, "error:"),
    ])
    func badInputsExitWithAMessage(_ program: String, _ arguments: [String], _ status: Int32, _ fragment: String) throws {
        let path = try Self.write(program)
        let run = Run(["run", path] + arguments)
        #expect(run.status == status)
        #expect(run.err.contains(fragment), "stderr: \(run.err)")
    }

    @Test(arguments: [
        ("{\"vlen\": \"64\"}", "field 'vlen'"),
        ("{\"weightSRAM\": {\"size\": 0}}", "field 'weightSRAM.size'"),
        ("{\"rows\": -1}", "field 'rows'"),
        ("{\"vlenn\": 64}", "vlenn"),
        ("[1, 2]", "object"),
    ])
    func badConfigsExitOneNamingTheField(_ json: String, _ fragment: String) throws {
        let config = try Self.write(json, "machine.json")
        let run = Run("run", Self.gemv, "--config", config)
        #expect(run.status == 1)
        #expect(run.err.contains(fragment) && run.err.contains("machine.json"), "stderr: \(run.err)")
    }

    @Test func missingAndNonImageFilesFail() throws {
        #expect(Run("run", "/nonexistent/p.nasm").status == 1)
        let bad = try Self.write("NMPC garbage", "bad.nmc")
        let run = Run("run", bad)
        #expect(run.status == 1)
        #expect(run.err.contains("cannot load"))
    }

    @Test func configMakesTheReportStateItsMachine() throws {
        let config = try Self.write("{\"dramBytesPerCycle\": 32, \"dmaLatency\": 7}", "slow.json")
        let run = Run("run", Self.gemv, "--config", config)
        #expect(run.out.contains("DMA 32 B/cycle + 7 cycles"))
        #expect(run.out.contains("slow.json"))
    }

    /// A program that states the vector shape it was written for does not run on another.
    @Test func requirementsAreCheckedAtLoad() throws {
        let config = try Self.write("{\"vlen\": 128, \"rows\": 64}", "wide.json")
        let run = Run("run", Self.gemv, "--config", config)
        #expect(run.status == 1)
        #expect(run.out.isEmpty)
        #expect(run.err.contains("the program requires vlen = 64 (.require vlen, 64), but this machine has vlen 128"))
        let small = try Self.write(".require asram, 65537\n        halt\n", "big.nasm")
        let tooSmall = Run("run", small)
        #expect(tooSmall.status == 1)
        #expect(tooSmall.err.contains("requires asram >= 65537"))
    }
}
