import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp layer`: one BitLinear from .npy files, on the machine, checked against the reference.
enum LayerCommand: Command {
    static let name = "layer"
    static let summary = "run one BitLinear layer from .npy files on the machine, bit-exact with the BitNet reference"
    static let help = """
        usage: nmp layer --weights W.npy --input X.npy --output Y.npy [--accumulators A.npy]
                         [--weight-scale S] [--config <file.json>] [--emit-asm <file.nasm>] [--json]

        Compiles a BitLinear (BitNet b1.58 linear layer) for the machine, runs it on the
        simulator and writes its outputs. The machine quantizes each token's activations
        (absmax, int8), multiplies them with the ternary weights (mmac), and dequantizes
        (float32 scale unit); the result is compared with nmp's reference implementation of
        the Hugging Face BitNet numerics and must be bit-exact.

          --weights W.npy       float32 (or float16) [out, in]: ternarized by absmean like
                                BitNet; or int8 [out, in] with values -1/0/+1 and --weight-scale
          --weight-scale S      the weight scale gamma of int8 weights (outputs are multiplied by it)
          --input X.npy         float32 (or float16) [tokens, in]; 1-D [in] is one token
          --output Y.npy        float32 [tokens, out] (1-D when the input was 1-D)
          --accumulators A.npy  int32 [tokens, out]: the exact sums xq . Wq^T
          --config <file>       machine config JSON (see 'nmp config')
          --emit-asm <file>     also write the generated program as .nasm ('nmp asm' accepts it)
          --json                print the report as JSON
          -h, --help            show this help

        Output files are written whole or not at all. exit status: 0 ok, 1 bad input or a
        failed run, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--weights"], ["--input"], ["--output"], ["--accumulators"],
                                                                        ["--weight-scale"], ["--config"], ["--emit-asm"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let weightsPath = args.values["--weights"] else { throw .usage("missing --weights W.npy") }
        guard let inputPath = args.values["--input"] else { throw .usage("missing --input X.npy") }
        guard let outputPath = args.values["--output"] else { throw .usage("missing --output Y.npy") }
        let config = try ConfigCommand.loadConfig(args.values["--config"])

        let w = try readNPY(weightsPath)
        guard w.shape.count == 2 else { throw .failure("\(weightsPath): weights must be 2-D [out, in]; got shape \(w.shape)") }
        let (out, inFeatures) = (w.shape[0], w.shape[1])
        guard out > 0 && inFeatures > 0 else { throw .failure("\(weightsPath): weights of shape \(w.shape) are empty") }
        let weights: TernaryWeights
        if let scaleText = args.values["--weight-scale"] {
            guard let scale = Float(scaleText), scale.isFinite else { throw .usage("--weight-scale '\(scaleText)' is not a finite number") }
            guard let trits = w.int8s() else {
                throw .failure("\(weightsPath): --weight-scale needs int8 ternary weights; this file is \(w.dtype.name)")
            }
            if let bad = trits.firstIndex(where: { $0 < -1 || $0 > 1 }) {
                throw .failure("\(weightsPath): weight [\(bad / inFeatures), \(bad % inFeatures)] is \(trits[bad]); ternary weights are -1, 0 or +1")
            }
            weights = TernaryWeights(rows: out, columns: inFeatures, trits: trits, scale: scale)
        } else {
            guard w.dtype == .float32 || w.dtype == .float16 else {
                throw .failure("\(weightsPath): \(w.dtype.name) weights need --weight-scale (int8 ternary) or must be float32/float16 latent weights")
            }
            let values = w.floats()
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw .failure("\(weightsPath): weight [\(bad / inFeatures), \(bad % inFeatures)] is \(values[bad]); weights must be finite")
            }
            weights = BitNetReference.quantizeWeights(values, rows: out, columns: inFeatures)
        }

        let x = try readNPY(inputPath)
        guard x.dtype == .float32 || x.dtype == .float16 else {
            throw .failure("\(inputPath): activations must be float32 or float16; this file is \(x.dtype.name)")
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

        let input = x.floats()
        let compiled: CompiledBitLinear
        let run: BitLinearRun
        do {
            compiled = try BitLinearLayer.compile(weights: weights, input: input, tokens: tokens, config: config)
            run = try BitLinearLayer.run(compiled)
        } catch {
            throw .failure(error.description)
        }

        // The reference, independently of the machine.
        let (q, scales) = BitNetReference.quantizeActivations(input, tokens: tokens, features: inFeatures)
        let acc = BitNetReference.accumulate(q, tokens: tokens, weights)
        let y = BitNetReference.dequantize(acc, tokens: tokens, rows: out, activationScales: scales, weightScale: weights.scale)
        let exact = run.accumulators == acc && run.outputs.map(\.bitPattern) == y.map(\.bitPattern)

        let outputShape = x.shape.count == 1 ? [out] : [tokens, out]
        if let asm = args.values["--emit-asm"] { try Files.writeAtomically(Array(compiled.source.utf8), to: asm) }
        try Files.writeAtomically(NPY.encode(.float32(run.outputs, shape: outputShape)), to: outputPath)
        if let accPath = args.values["--accumulators"] {
            try Files.writeAtomically(NPY.encode(.int32(run.accumulators, shape: outputShape)), to: accPath)
        }

        let report = LayerReport(weights: weights, tokens: tokens, plan: compiled.plan, result: run.result, bitExact: exact)
        console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
        guard exact else {
            console.err("nmp layer: error: the machine's outputs differ from the reference (this is a bug in nmp; please report it)\n")
            return ExitCode.failure
        }
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
}
