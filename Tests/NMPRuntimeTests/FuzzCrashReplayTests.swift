import Foundation
import NMPSimulator
import NMPTestSupport
import Testing
@testable import NMPRuntime

/// The bytes of `fuzz/crashes/<target>/<name>` (empty when missing).
func fuzzCrashBytes(_ target: String, _ name: String) -> [UInt8] {
    let url = repositoryRoot.appendingPathComponent("fuzz/crashes/\(target)/\(name)")
    return (try? Data(contentsOf: url)).map { [UInt8]($0) } ?? []
}

/// Every input the fuzz-npy target (fuzz/FuzzNPY.swift) ever crashed on, and the tricky
/// inputs kept with them (fuzz/crashes/npy), replayed with the target's checks: `NPY.read`
/// answers with an array or an error; an array has product(shape) * itemSize data bytes,
/// its accessors give `count` elements, and it survives `NPY.encode` and a second read.
struct NPYFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/npy"))
    func npyInput(_ name: String) {
        let array: NPYArray
        do throws(NPYError) {
            array = try NPY.read(fuzzCrashBytes("npy", name), source: name)
        } catch {
            #expect(error.description.hasPrefix("\(name): "))
            return
        }
        let elements = NPYArray.byteCount(shape: array.shape, itemSize: 1)
        #expect(elements != nil, "\(name): shape \(array.shape)")
        guard let elements else { return }
        #expect(NPYArray.byteCount(shape: array.shape, itemSize: array.dtype.itemSize) == array.data.count, "\(name)")
        #expect(array.count == elements, "\(name)")
        #expect(array.floats().count == elements, "\(name)")
        #expect(array.int8s()?.count == (array.dtype == .int8 ? elements : nil), "\(name)")
        #expect(array.int32s()?.count == (array.dtype == .int32 ? elements : nil), "\(name)")
        #expect(array.float16BitPatterns()?.count == (array.dtype == .float16 ? elements : nil), "\(name)")
        #expect((try? NPY.read(NPY.encode(array), source: "encoded")) == array, "\(name)")
    }
}

/// Every input the fuzz-hfconfig target (fuzz/FuzzModelConfig.swift) ever crashed on, and
/// the tricky inputs kept with them (fuzz/crashes/hfconfig), replayed with the target's
/// checks: `ModelConfig(json:source:)` answers with a config or a short error; an accepted
/// config's parameter counts compute, and planning one decode step on the default machine
/// (no simulation) answers with a plan or an error.
struct ModelConfigFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/hfconfig"))
    func hfconfigInput(_ name: String) {
        let model: ModelConfig
        do throws(ModelConfigError) {
            model = try ModelConfig(json: fuzzCrashBytes("hfconfig", name), source: name)
        } catch {
            // "A few hundred bytes" whatever the input quotes (fuzz/FuzzModelConfig.swift).
            #expect(error.description.utf8.count <= 512, "\(name): \(error.description.utf8.count) bytes")
            return
        }
        #expect(model.linearLayers.count == 7)
        let parts = [model.ternaryParameters, model.embeddingParameters, model.lmHeadParameters, model.normParameters]
        #expect(model.totalParameters == parts.reduce(0, +), "\(name)")
        do throws(CompileError) {
            let plan = try DecoderPlan(model: model, machine: MachineConfig(), tokens: 1, context: 0)
            #expect(plan.simulatedLayers == min(2, model.layers), "\(name)")
        } catch {
            #expect(!error.message.isEmpty)
        }
    }

    /// fuzz/crashes/hfconfig/plan-row-block-bytes-overflow.json: 2e18 FFN rows of one input
    /// feature made BitLinearPlan's DRAM layout (row blocks * block bytes) overflow Int.
    @Test func hugeFFNIsAPlanErrorNotAnOverflow() throws {
        let model = try ModelConfig(json: fuzzCrashBytes("hfconfig", "plan-row-block-bytes-overflow.json"), source: "x")
        #expect(throws: CompileError.self) {
            _ = try DecoderPlan(model: model, machine: MachineConfig(), tokens: 1, context: 0)
        }
        do {
            _ = try BitLinearPlan(tokens: 1, inFeatures: 1, outFeatures: Int.max, config: MachineConfig())
            Issue.record("a layer of Int.max rows was planned")
        } catch {
            #expect(error.message.contains("(more than 2^63 bytes) do not fit"), "\(error)")
        }
    }
}
