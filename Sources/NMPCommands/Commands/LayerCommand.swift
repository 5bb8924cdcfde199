import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp layer`: one BitLinear from .npy files, on the machine, checked against the reference.
enum LayerCommand: Command {
    static let name = "layer"
    static let summary = "run one BitLinear layer from .npy files on the machine, bit-exact with the BitNet reference"
    static let help = """
        usage: nmp layer --weights W.npy --input X.npy --output Y.npy [--accumulators A.npy]
                         [--weight-scale S] [--config <file.json>] [--tech NAME] [--emit-asm <file.nasm>]
                         [--perfetto <file>] [--json]

        Compiles a BitLinear (BitNet b1.58 linear layer) for the machine, runs it on the
        simulator and writes its outputs. The machine quantizes each token's activations
        (absmax, int8), multiplies them with the ternary weights (mgemm), and dequantizes
        (float32 scale unit); the result is compared with nmp's reference implementation of
        the Hugging Face BitNet numerics and must be bit-exact.

          --weights W.npy       float32 (float16, float64) [out, in]: ternarized by absmean like
                                BitNet; or int8 [out, in] with values -1/0/+1 and --weight-scale
          --weight-scale S      the weight scale gamma > 0 of int8 weights (outputs are multiplied by it)
          --input X.npy         float32 (float16, float64) [tokens, in]; 1-D [in] is one token.
                                float64 (NumPy's default) is converted to float32, and the report says so
          --output Y.npy        float32 [tokens, out] (1-D when the input was 1-D)
          --accumulators A.npy  int32 [tokens, out]: the exact sums xq . Wq^T
          --config <file>       machine config JSON (see 'nmp config')
          --tech NAME           energy prices of a technology preset (see 'nmp config --sources')
          --emit-asm <file>     also write the generated program as .nasm ('nmp asm' accepts it)
          --max-cycles N        stop the simulated run at N cycles (default 10^9)
          --json                print the report as JSON
        \(PerfettoOption.help(column: 24))
          -h, --help            show this help

        Output files are written whole or not at all, only after the machine's outputs were
        found bit-exact, and never over an input. exit status: 0 ok, 1 bad input or a failed
        run, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--weights"], ["--tech"], ["--input"], ["--output"], ["--accumulators"],
                                                                        ["--weight-scale"], ["--config"], ["--emit-asm"], ["--max-cycles"],
                                                                        [PerfettoOption.name]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let weightsPath = args.values["--weights"] else { throw .usage("missing --weights W.npy") }
        guard let inputPath = args.values["--input"] else { throw .usage("missing --input X.npy") }
        guard let outputPath = args.values["--output"] else { throw .usage("missing --output Y.npy") }
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? Simulator.defaultMaxCycles
        var scale: Float?
        if let scaleText = args.values["--weight-scale"] {
            guard let value = Float(scaleText), value.isFinite, value > 0 else {
                throw .usage("--weight-scale '\(scaleText)' is not a positive finite number (the scale gamma = mean |W| of the latent weights)")
            }
            scale = value
        }
        let choice = try MachineChoice.load(args)
        let config = choice.config
        // Every output is checked before anything is read or computed, and none may be an input.
        let inputs = [("--weights file", weightsPath), ("--input file", inputPath)] + (args.values["--config"].map { [("--config file", $0)] } ?? [])
        let outputs = [("--output", outputPath)] + (args.values["--accumulators"].map { [("--accumulators", $0)] } ?? [])
            + (args.values["--emit-asm"].map { [("--emit-asm", $0)] } ?? [])
        try Files.checkOutputs(outputs, inputs: inputs)
        let perfetto = try PerfettoOption(args, inputs: inputs + outputs)

        let w = try readNPY(weightsPath)
        guard w.shape.count == 2 else { throw .failure("\(weightsPath): weights must be 2-D [out, in]; got shape \(w.shape)") }
        let (out, inFeatures) = (w.shape[0], w.shape[1])
        guard out > 0 && inFeatures > 0 else { throw .failure("\(weightsPath): weights of shape \(w.shape) are empty") }
        var notes: [String] = []
        let weights: TernaryWeights
        if let scale {
            guard let trits = w.int8s() else {
                throw .failure("\(weightsPath): --weight-scale needs int8 ternary weights; this file is \(w.dtype.name)")
            }
            if let bad = trits.firstIndex(where: { $0 < -1 || $0 > 1 }) {
                throw .failure("\(weightsPath): weight [\(bad / inFeatures), \(bad % inFeatures)] is \(trits[bad]); ternary weights are -1, 0 or +1")
            }
            weights = TernaryWeights(rows: out, columns: inFeatures, trits: trits, scale: scale)
        } else {
            guard w.dtype.isFloat else {
                throw .failure("\(weightsPath): \(w.dtype.name) weights need --weight-scale (int8 ternary) or must be float32/float16/float64 latent weights")
            }
            let values = try finite(w, path: weightsPath, what: "weight", columns: inFeatures)
            if w.dtype == .float64 { notes.append("weights float64, converted to float32 (nearest)") }
            weights = BitNetReference.quantizeWeights(values, rows: out, columns: inFeatures)
        }

        let x = try readNPY(inputPath)
        guard x.dtype.isFloat else {
            throw .failure("\(inputPath): activations must be float32, float16 or float64; this file is \(x.dtype.name)")
        }
        let tokens: Int
        switch x.shape.count {
        case 1: tokens = 1
        case 2: tokens = x.shape[0]
        default: throw .failure("\(inputPath): the input must be [tokens, in] or [in]; got shape \(x.shape)")
        }
        guard x.shape.last == inFeatures else {
            throw .failure("\(inputPath): the input has \(x.shape.last ?? 0) features per token but the weights take \(inFeatures) (weights \(w.shape), input \(x.shape))")
        }
        guard tokens > 0 else { throw .failure("\(inputPath): the input has no tokens (shape \(x.shape))") }
        let input = try finite(x, path: inputPath, what: "input value", columns: inFeatures)
        if x.dtype == .float64 { notes.append("activations float64, converted to float32 (nearest)") }

        let compiled: CompiledBitLinear
        let run: BitLinearRun
        let timeline = perfetto.map { _ in Timeline(config: config) }
        do {
            compiled = try BitLinearLayer.compile(weights: weights, input: input, tokens: tokens, config: config)
            if let timeline {
                let pass = timeline.pass("BitLinear \(inFeatures) -> \(out), \(tokens) token\(tokens == 1 ? "" : "s")")
                run = try BitLinearLayer.run(compiled, maxCycles: maxCycles, trace: { pass.record($0) })
                pass.finish(cycles: run.result.counters.cycles, trap: nil)
            } else {
                run = try BitLinearLayer.run(compiled, maxCycles: maxCycles)
            }
        } catch {
            throw .failure(error.description)
        }

        // The reference, independently of the machine.
        let (q, scales) = BitNetReference.quantizeActivations(input, tokens: tokens, features: inFeatures)
        let acc = BitNetReference.accumulate(q, tokens: tokens, weights)
        let y = BitNetReference.dequantize(acc, tokens: tokens, rows: out, activationScales: scales, weightScale: weights.scale)
        let exact = run.accumulators == acc && run.outputs.map(\.bitPattern) == y.map(\.bitPattern)

        let report = LayerReport(weights: weights, tokens: tokens, plan: compiled.plan, result: run.result, energyOrigin: choice.origin, bitExact: exact,
                                 inputConversions: notes)
        guard exact else {
            console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
            throw .failure("the machine's outputs differ from the reference, so no output was written (this is a bug in nmp; please report it)")
        }
        let outputShape = x.shape.count == 1 ? [out] : [tokens, out]
        var files: [(path: String, bytes: [UInt8])] = [(outputPath, NPY.encode(.float32(run.outputs, shape: outputShape)))]
        if let path = args.values["--accumulators"] { files.append((path, NPY.encode(.int32(run.accumulators, shape: outputShape)))) }
        if let path = args.values["--emit-asm"] { files.append((path, Array(compiled.source.utf8))) }
        try Files.writeAll(files)
        console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
        // After the report: a timeline that cannot be written loses nothing else.
        if let timeline { try perfetto?.write(timeline) }
        return ExitCode.success
    }

    static func readNPY(_ path: String) throws(CommandError) -> NPYArray {
        let bytes = try Files.read(path)
        do {
            return try NPY.read(bytes, source: path)
        } catch {
            throw .failure(error.description)
        }
    }

    /// The values of a float array as float32, every one finite; the first that is not is
    /// an error naming the file and its index.
    static func finite(_ array: NPYArray, path: String, what: String, columns: Int) throws(CommandError) -> [Float] {
        let values = array.floats()
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let index = array.shape.count == 2 ? "[\(bad / columns), \(bad % columns)]" : "[\(bad)]"
            let overflow = array.dtype == .float64 && values[bad].isInfinite ? " (beyond the float32 range)" : ""
            throw .failure("\(path): \(what) \(index) is \(values[bad])\(overflow); \(what)s must be finite")
        }
        return values
    }
}
