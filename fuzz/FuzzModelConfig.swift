// libFuzzer target: bytes -> ModelConfig(json:source:) (a Hugging Face config.json). It must
// never trap; an accepted config's shapes and parameter counts compute without overflow,
// and planning one decode step on the default machine (DecoderPlan, tokens 1, context 0;
// no simulation) throws or returns. Error descriptions stay short (at most
// `maxMessageBytes`, like the machine config's). Built by fuzz/build.sh into
// fuzz/bin/fuzz-hfconfig.
import NMPRuntime
import NMPSimulator

/// The longest error description accepted: "a few hundred bytes".
let maxMessageBytes = 512

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let model: ModelConfig
    do {
        model = try ModelConfig(json: bytes, source: "fuzz.config.json")
    } catch {
        let text = error.description
        guard text.utf8.count <= maxMessageBytes else {
            fatalError("error description of \(text.utf8.count) bytes: \(String(text.unicodeScalars.prefix(200)))...")
        }
        return 0
    }
    // What the reader promises: positive sizes, heads a multiple of the KV heads.
    guard model.hiddenSize > 0, model.intermediateSize > 0, model.layers > 0, model.attentionHeads > 0,
          model.keyValueHeads > 0, model.headDim > 0, model.vocabSize > 0, model.maxPositions > 0,
          model.attentionHeads % model.keyValueHeads == 0,
          model.rmsNormEps > 0, model.rmsNormEps.isFinite, model.ropeTheta > 0, model.ropeTheta.isFinite else {
        fatalError("accepted config breaks the reader's checks: \(model)")
    }
    // Every count traps on overflow: computing them is the check.
    let layers = model.linearLayers
    guard layers.count == 7, layers.allSatisfy({ $0.outFeatures > 0 && $0.inFeatures > 0 && $0.parameters > 0 }) else {
        fatalError("linearLayers: \(layers)")
    }
    let parts = [model.ternaryParametersPerLayer, model.ternaryParameters, model.embeddingParameters,
                 model.lmHeadParameters, model.normParameters]
    guard parts.allSatisfy({ $0 >= 0 }), model.totalParameters == parts.dropFirst().reduce(0, +) else {
        fatalError("parameter counts disagree: \(parts) total \(model.totalParameters)")
    }
    // Plan one decode step on the default machine: an error or a plan, never a trap.
    do {
        let plan = try DecoderPlan(model: model, machine: MachineConfig(), tokens: 1, context: 0)
        guard plan.simulatedLayers == min(2, model.layers), plan.packedWeightBytes > 0,
              plan.fp16WeightBytes == 2 * model.ternaryParameters else {
            fatalError("inconsistent plan: \(plan.simulatedLayers) simulated layers, \(plan.packedWeightBytes) packed bytes")
        }
    } catch {
        _ = error.description
    }
    return 0
}
