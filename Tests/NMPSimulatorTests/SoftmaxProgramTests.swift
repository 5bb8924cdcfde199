import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// programs/softmax_row.nasm against a softmax computed here from the program's own row,
/// step by step as ISA.md 7.12 specifies (the reference machine's float arithmetic, not
/// the simulator's), and against the exact softmax in double precision.
struct SoftmaxProgramTests {
    @Test func softmaxRowMatchesTheReference() throws {
        let url = repositoryRoot.appendingPathComponent("programs/softmax_row.nasm")
        let assembled = Assembler.assemble(source: try String(contentsOf: url, encoding: .utf8), fileName: "softmax_row.nasm")
        let image = try #require(assembled.image, "\(assembled.renderedDiagnostics)")
        let simulator = try Simulator(image: image)
        let result = simulator.run()
        #expect(result.halted)

        // The row as the image holds it: 10 float32 at asram 0.
        let n = 10
        let data = image.activationData
        let x = (0..<n).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[4 * i + $1]) << (8 * $1) } }
        // ISA.md 7.12: frmax from -inf, fsubs, fexp, fsum's tree, fdiv, fmuls.
        let m = x.reduce(UInt32(0xFF80_0000)) { RefFloat.maximum($0, $1) }
        let e = x.map { RefFloat.exp(RefFloat.subtract($0, m)) }
        let s = RefFloat.treeSum(e)
        let r = RefFloat.divide(0x3F80_0000, s)
        let expected = e.map { RefFloat.multiply($0, r) }

        let bytes = try #require(simulator.read(.activationSRAM, at: 4 * n, count: 4 * n))
        let p = (0..<n).map { i in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * i + $1]) << (8 * $1) } }
        #expect(p == expected)
        #expect(simulator.scalar(3) == s && simulator.scalar(5) == r)

        // And close to the true softmax: within 1.1 ulp per lane (the program states it).
        let values = x.map { Double(Float(bitPattern: $0)) }
        let top = values.max()!
        let exact = values.map { Foundation.exp($0 - top) }
        let total = exact.reduce(0, +)
        for l in 0..<n {
            let want = exact[l] / total
            let got = Double(Float(bitPattern: p[l]))
            let ulp = want > 0 ? Double(Float(want).ulp) : 1
            #expect(abs(got - want) <= 1.1 * ulp, "lane \(l): \(got) vs \(want)")
        }
    }
}
