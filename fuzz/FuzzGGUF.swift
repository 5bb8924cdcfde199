// libFuzzer target: bytes -> GGUFFile(bytes:source:) -> every tensor decoded as floats and,
// for the ternary types, as trits with their uniform scale; then the file mapped onto a
// decoder (`DecoderWeights.load(gguf:)`: metadata keys, tensor names, types and shapes) and
// its tokenizer read (`BPETokenizer(gguf:)`, then a short text encoded and decoded). The reader must never trap, never
// allocate more than the input justifies (run.sh sets -malloc_limit_mb=128), and every error
// must start with the file's name and name its key or tensor (or the header, a metadata pair
// or a tensor info by index when no name was read yet), in at most 1024 bytes. A decoded
// tensor has its element count of values, and trits are -1...1. Built by fuzz/build.sh into
// fuzz/bin/fuzz-gguf.
import NMPRuntime

/// Checks one error from the reader; traps (a finding) when it is unhelpful.
func check(_ error: GGUFError) {
    let text = error.description
    let placed = !error.key.isEmpty || !error.tensor.isEmpty || error.message.contains("header")
        || error.message.contains("metadata pair") || error.message.contains("tensor info")
    guard text.hasPrefix("input: "), text.utf8.count <= 1024, placed else {
        fatalError("unhelpful error: \(text.prefix(300))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file: GGUFFile
    do throws(GGUFError) {
        file = try GGUFFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)), source: "input")
    } catch {
        check(error)
        return 0
    }
    for info in file.tensors {
        do throws(GGUFError) {
            let values = try file.floats(info.name)
            guard values.count == info.elementCount else { fatalError("\(info.name): \(values.count) values, \(info.elementCount) elements") }
        } catch {
            check(error)
        }
        guard [GGMLType.tq1_0, .tq2_0, .i2_s].contains(info.type) else { continue }
        do throws(GGUFError) {
            let trits = try file.trits(info.name)
            guard trits.trits.count == info.elementCount, trits.trits.allSatisfy({ (-1...1).contains($0) }),
                  trits.scales.count == (info.type == .i2_s ? 1 : info.elementCount / 256) else {
                fatalError("\(info.name): bad trits")
            }
            _ = try trits.uniformScale()
        } catch {
            check(error)
        }
    }
    do throws(TokenizerError) {
        if let tokenizer = try BPETokenizer(gguf: file) {
            let ids = tokenizer.encode("Hi, wörld 42 <|eot_id|>\n")
            guard ids.allSatisfy({ (0..<tokenizer.vocabularySize).contains($0) }) else { fatalError("an id outside the vocabulary") }
            _ = tokenizer.decode(ids)
        }
    } catch {
        let text = error.description
        guard text.hasPrefix("input: "), text.utf8.count <= 1024 else { fatalError("unhelpful tokenizer error: \(text.prefix(300))") }
    }
    do throws(DecoderLoadError) {
        let weights = try DecoderWeights.load(gguf: file)
        let c = weights.config
        guard weights.layers.count == c.layers, weights.embedding.count == c.vocabSize * c.hiddenSize,
              weights.layers.allSatisfy({ $0.projections.allSatisfy { $0.weights.trits.allSatisfy { (-1...1).contains($0) } } }) else {
            fatalError("a decoder whose tensors disagree with its config")
        }
    } catch {
        let text = error.description
        guard text.hasPrefix("input: "), text.utf8.count <= 1024 else { fatalError("unhelpful error: \(text.prefix(300))") }
    }
    return 0
}
