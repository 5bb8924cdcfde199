import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// Every program in programs/ runs to halt on the default machine with the final state,
/// cycle count, stalls and trit operations its `; expect` lines state (derived by hand in
/// each program's comments from ISA.md's rules).
struct ProgramTests {
    static let programs = repositoryFiles(in: "programs", suffix: ".nasm")

    @Test func everyProgramIsFound() {
        #expect(Self.programs.count >= 9)
    }

    @Test(arguments: programs)
    func programMeetsItsExpectations(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("programs").appendingPathComponent(name)
        let source = try String(contentsOf: url, encoding: .utf8)
        let assembled = Assembler.assemble(source: source, fileName: url.lastPathComponent)
        let image = try #require(assembled.image, "\(assembled.renderedDiagnostics)")
        let simulator = try Simulator(image: image)
        let result = simulator.run()
        #expect(result.trap == nil, "\(url.lastPathComponent) trapped: \(String(describing: result.trap))")

        let expectations = try Expectation.parse(source)
        #expect(expectations.count > 0)
        for keyword in ["cycles", "retired", "trit.add", "trit.sub", "trit.skip"] + StallCause.allCases.map({ "stall.\($0.rawValue)" }) {
            #expect(expectations.contains { $0.key == keyword }, "\(url.lastPathComponent) states no '\(keyword)'")
        }
        for expectation in expectations {
            let actual = try #require(expectation.actual(simulator, result), "\(url.lastPathComponent): unknown key \(expectation.key)")
            #expect(actual == expectation.value, "\(url.lastPathComponent): \(expectation.key) = \(actual), expected \(expectation.value)")
        }
        // The cycle identity of ISA.md 6.6.
        #expect(result.counters.cycles == result.counters.retired + result.counters.stalls.values.reduce(0, +))
    }
}

struct ExpectationError: Error {
    var line: String
}

/// One `; expect key = value` line: a register, a typed memory cell, or a counter.
struct Expectation {
    var key: String
    /// The expected value; hex literals are bit patterns of the cell's width.
    var value: Int64

    static func parse(_ source: String) throws -> [Expectation] {
        try source.split(separator: "\n").compactMap { line -> Expectation? in
            guard line.hasPrefix("; expect ") else { return nil }
            let parts = line.dropFirst("; expect ".count).split(separator: "=", maxSplits: 1)
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let text = parts[1].trimmingCharacters(in: .whitespaces)
            let value = text.hasPrefix("0x") ? Int64(text.dropFirst(2), radix: 16) : Int64(text)
            guard let value else { throw ExpectationError(line: String(line)) }
            return Expectation(key: key, value: value)
        }
    }

    /// The simulator's value for the key, in the key's width (hex expectations compare as
    /// unsigned patterns, decimal ones as the signed or unsigned type the key names).
    func actual(_ simulator: Simulator, _ result: RunResult) -> Int64? {
        let counters = result.counters
        switch key {
        case "cycles": return Int64(counters.cycles)
        case "retired": return Int64(counters.retired)
        case "trit.add": return Int64(counters.tritAdd)
        case "trit.sub": return Int64(counters.tritSub)
        case "trit.skip": return Int64(counters.tritSkip)
        default: break
        }
        if key.hasPrefix("stall."), let cause = StallCause(rawValue: String(key.dropFirst(6))) {
            return Int64(counters.stalls[cause])
        }
        if key.hasPrefix("r"), let index = Int(key.dropFirst()) {
            let bits = simulator.scalar(index)
            return value >= 0 && value > Int64(Int32.max) ? Int64(bits) : Int64(Int32(bitPattern: bits))
        }
        // space.type[address]
        let pieces = key.split(whereSeparator: { ".[]".contains($0) })
        guard pieces.count == 3, let address = Int(pieces[2]) else { return nil }
        let space: MemorySpace? = switch pieces[0] {
        case "asram": .activationSRAM
        case "wsram": .weightSRAM
        case "dram": .dram
        default: nil
        }
        guard let space else { return nil }
        switch pieces[1] {
        case "u8": return simulator.read(space, at: address, count: 1).map { Int64($0[0]) }
        case "i8": return simulator.read(space, at: address, count: 1).map { Int64(Int8(bitPattern: $0[0])) }
        case "u32", "i32":
            guard let bytes = simulator.read(space, at: address, count: 4) else { return nil }
            let bits = bytes.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
            return pieces[1] == "u32" || value > Int64(Int32.max) ? Int64(bits) : Int64(Int32(bitPattern: bits))
        default: return nil
        }
    }
}
