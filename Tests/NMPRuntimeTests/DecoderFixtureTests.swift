import Foundation
import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// The machine's logits against fixtures written by a plain float32 NumPy implementation of
/// Hugging Face transformers' `models/bitnet/modeling_bitnet.py`
/// (Tests/NMPRuntimeTests/Fixtures/decoder/make_decoder_fixtures.py, README.md beside it).
///
/// The chip sums in another order (lane partials, a pairwise tree, fused multiply-adds) and
/// has its own exp, so its float values differ from NumPy's in the last bits, and such a
/// difference can move an int8 activation code across a rounding boundary, which shifts
/// later values by a whole code step. The tolerance (each model's `tolerance.json`) is twice
/// the worst deviation measured in the script for legitimate arithmetic changes, single
/// code flips and noisy-chip runs: a max and an RMS bound over all N x vocab logits.
struct DecoderFixtureTests {
    static let folders = repositoryFiles(in: "Tests/NMPRuntimeTests/Fixtures/decoder").filter { !$0.contains(".") }

    struct Tolerance: Decodable {
        let max_abs_diff: Double
        let rms_abs_diff: Double
    }

    @Test(arguments: folders)
    func logitsAgreeWithTheNumPyFixtures(_ folder: String) throws {
        let directory = repositoryRoot.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/decoder/\(folder)").path
        let weights = try DecoderWeights.load(directory: directory)
        let vocab = weights.config.vocabSize
        let ids = try #require(try DecoderWeights.loadPromptIDs(directory: directory, vocabSize: vocab))
        let expected = try #require(try DecoderWeights.loadLogits(directory: directory, vocabSize: vocab))
        let tolerance = try JSONDecoder().decode(Tolerance.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/tolerance.json")))
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        // Position 0 as a one-token prefill, then decode steps on the machine's own KV cache:
        // the logits at every position. The bf16 fixtures' float32 cache is the fp32 format.
        var reference = DecoderReference(weights: weights, vlen: machine.vlen, kvFormat: .fp32)
        var run = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: [ids[0]], context: 0, kvFormat: .fp32))
        var logits = [run.logits]
        #expect(run.logits.map(\.bitPattern) == reference.forward([ids[0]]).last!.map(\.bitPattern))
        for position in 1..<ids.count {
            run = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: [ids[position]], context: position,
                                                kvFormat: .fp32, cache: run.cache))
            logits.append(run.logits)
            #expect(run.logits.map(\.bitPattern) == reference.forward([ids[position]]).last!.map(\.bitPattern), "position \(position)")
        }
        var largest = 0.0, squares = 0.0
        for (row, want) in zip(logits, expected) {
            for (a, b) in zip(row, want) {
                let d = Double(a) - Double(b)
                largest = max(largest, abs(d))
                squares += d * d
            }
        }
        let rms = (squares / Double(ids.count * vocab)).squareRoot()
        #expect(largest <= tolerance.max_abs_diff, "\(folder): max |diff| \(largest) > \(tolerance.max_abs_diff)")
        #expect(rms <= tolerance.rms_abs_diff, "\(folder): RMS diff \(rms) > \(tolerance.rms_abs_diff)")
    }
}
