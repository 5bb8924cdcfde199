import NMPISA
import NMPTrits

/// The outcome of assembling one file: an image when there were no errors, and every
/// diagnostic (errors, warnings, notes) in source order.
public struct AssemblyResult: Sendable {
    public let file: SourceFile
    public let image: MicrocodeImage?
    public let diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The diagnostics formatted like a compiler's, ready for stderr.
    public var renderedDiagnostics: String { DiagnosticRenderer(file: file).render(diagnostics) }
}

/// `.nasm` text to microcode image, in two passes: the first fixes every address, the
/// second evaluates operands and emits words and data. ISA.md "Assembly language" is the
/// grammar.
public enum Assembler {
    /// Assembles source bytes (which must be UTF-8).
    public static func assemble(bytes: [UInt8], fileName: String) -> AssemblyResult {
        let file = SourceFile(name: fileName, bytes: bytes)
        if let bad = firstInvalidUTF8(file) {
            let log = [Diagnostic(.error, "the file is not UTF-8 text (invalid byte 0x\(hex(UInt32(bad.byte), digits: 2))); is it a binary file?",
                                  at: SourceLocation(line: bad.line, column: bad.column))]
            return AssemblyResult(file: file, image: nil, diagnostics: log)
        }
        var state = AssemblyState(file: file)
        state.run()
        return AssemblyResult(file: file, image: state.log.hasErrors ? nil : state.image,
                              diagnostics: inSourceOrder(state.log.diagnostics))
    }

    /// Assembles source text.
    public static func assemble(source: String, fileName: String) -> AssemblyResult {
        assemble(bytes: Array(source.utf8), fileName: fileName)
    }

    /// Diagnostics sorted by position, as a reader goes through the file; each pass found
    /// its own, so they arrive grouped by pass. Whole-file messages stay last.
    private static func inSourceOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { x, y in
            let a = x.element.location.map { ($0.line, $0.column) } ?? (Int.max, Int.max)
            let b = y.element.location.map { ($0.line, $0.column) } ?? (Int.max, Int.max)
            return a != b ? a < b : x.offset < y.offset
        }.map(\.element)
    }

    private static func firstInvalidUTF8(_ file: SourceFile) -> (line: Int, column: Int, byte: UInt8)? {
        for (n, line) in file.lines.enumerated() where String(validating: line, as: UTF8.self) == nil {
            // Find the first byte where decoding goes wrong.
            var i = 0
            while i < line.count {
                let b = line[i]
                let length = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0
                if length == 0 || i + length > line.count
                    || String(validating: line[i..<i + length], as: UTF8.self) == nil {
                    return (n + 1, i + 1, b)
                }
                i += length
            }
        }
        return nil
    }
}

/// Mutable state of one assembly run.
struct AssemblyState {
    let file: SourceFile
    var log = DiagnosticLog()
    let symbols = SymbolTable()
    var statements: [Statement] = []
    /// Per statement: its section, the location counter where it starts, and how much
    /// the first pass decided it occupies (pass 2 never re-sizes: a symbol that was
    /// unknown then must not change the layout now).
    var placement: [(section: Section, at: Int64, size: Int64)] = []
    var size: [Section: Int64] = [:]
    var packing: TritPacking = .base3
    var packingLocation: SourceLocation?
    var sawTrits = false
    var entryExpression: Expression?
    /// `.require` directives: the key, where it was given, and its value expression.
    var requireDirectives: [(key: RequirementKey, at: SourceLocation, value: Expression)] = []
    var code: [UInt32] = []
    var data: [Section: [UInt8]] = [:]
    var image: MicrocodeImage?
    /// Instructions already reported unreachable (no second warning about them).
    var unreachable: Set<SourceLocation> = []

    init(file: SourceFile) {
        self.file = file
    }

    mutating func run() {
        statements = Parser.parse(file, log: &log)
        layOut()
        guard !log.isFull else { return }
        if size[.text, default: 0] == 0 && !log.hasErrors {
            log.error("the program has no instructions; a program needs at least one (e.g. 'halt')",
                      at: file.lines.count == 1 && file.lines[0].isEmpty ? nil : SourceLocation(line: 1, column: 1))
            return
        }
        emit()
        guard !log.hasErrors else { return }
        let entry = resolveEntry()
        let requirements = resolveRequirements()
        guard !log.hasErrors else { return }
        image = MicrocodeImage(entry: entry, packing: packing, code: code,
                               weightData: data[.wdata, default: []], activationData: data[.adata, default: []],
                               dramData: data[.ddata, default: []], symbols: imageSymbols(), requirements: requirements)
    }

    // MARK: pass 1: addresses

    private mutating func layOut() {
        var section = Section.text
        var location: [Section: Int64] = [:]
        var afterHalt: SourceLocation?  // set right after a `halt` until a label or section change
        for statement in statements {
            placement.append((section, location[section, default: 0], 0))
            for (name, at) in statement.labels {
                afterHalt = nil
                defineSymbol(name, .label(section.space, location[section, default: 0]), at: at)
            }
            guard let body = statement.body else { continue }
            let here = location[section, default: 0]
            var advance: Int64 = 0
            switch body {
            case .instruction(let mnemonic, let at, _):
                guard section == .text else {
                    log.error("instruction '\(mnemonic)' in data section \(section.directive); instructions belong in .text",
                              at: at, notes: [.init("write '.text' on a line before it")])
                    continue
                }
                if let haltAt = afterHalt {
                    log.warning("instruction is unreachable: it follows 'halt' and has no label", at: at,
                                notes: [.init("'halt' is here", at: haltAt)])
                    unreachable.insert(at)
                    afterHalt = nil
                }
                if mnemonic == "halt" { afterHalt = at }
                advance = 1
            case .directive(let name, let at, let arguments):
                if let target = Section(directive: name) {
                    if !arguments.isEmpty { log.error("'\(name)' takes no operands", at: arguments[0].location) }
                    section = target
                    afterHalt = nil
                    continue
                }
                advance = sizeOfDirective(name, at: at, arguments, section: section, here: here)
            case .rawDirective(let name, let at, let text):
                advance = sizeOfRawDirective(name, at: at, text, section: section)
            }
            // Compare before adding: `advance` may be near Int64.max.
            let end = max(0, advance) > section.limit - here ? section.limit + 1 : here + max(0, advance)
            if end > section.limit {
                log.error("\(section.directive) grows past \(section.limit) \(section == .text ? "instructions" : "bytes"), the assembler's limit",
                          at: statement.body.map(location(of:)))
                return
            }
            location[section] = end
            placement[placement.count - 1].size = end - here
        }
        size = location
    }

    private func location(of body: Statement.Body) -> SourceLocation {
        switch body {
        case .instruction(_, let l, _), .directive(_, let l, _), .rawDirective(_, let l, _): l
        }
    }

    private mutating func defineSymbol(_ name: String, _ definition: SymbolTable.Definition, at location: SourceLocation) {
        if parseRegisterName(name) != nil {
            log.error("'\(name)' is a register name and cannot name a symbol", at: location)
            return
        }
        if name.utf8.count > ImageLayout.maxSymbolName {
            log.error("symbol name is longer than \(ImageLayout.maxSymbolName) bytes", at: location)
            return
        }
        if let previous = symbols.define(name, definition, at: location) {
            log.error("'\(name)' is already defined", at: location, notes: [.init("previous definition is here", at: previous)])
        }
    }

    /// Size in bytes a data or layout directive adds, reporting misuse. Directives that
    /// add nothing (`.equ`, `.entry`) are recorded here.
    private mutating func sizeOfDirective(_ name: String, at: SourceLocation, _ arguments: [Operand],
                                          section: Section, here: Int64) -> Int64 {
        switch name {
        case ".equ":
            guard arguments.count == 2, case .expression(.symbol(let symbol, let symbolAt)) = arguments[0],
                  case .expression(let value) = arguments[1] else {
                log.error("'.equ' takes a name and a value: .equ NAME, expression", at: arguments.first?.location ?? at)
                return 0
            }
            defineSymbol(symbol, .constant(value, here: here), at: symbolAt)
            return 0
        case ".entry":
            guard arguments.count == 1, case .expression(let e) = arguments[0] else {
                log.error("'.entry' takes one code address: .entry label", at: arguments.first?.location ?? at)
                return 0
            }
            if entryExpression != nil { log.error("'.entry' given twice", at: at) }
            entryExpression = e
            return 0
        case ".require":
            guard arguments.count == 2, case .expression(.symbol(let name, let nameAt)) = arguments[0],
                  case .expression(let value) = arguments[1] else {
                log.error("'.require' takes a machine parameter and a value: .require vlen, 64", at: arguments.first?.location ?? at,
                          notes: [.init(Self.requirementHelp)])
                return 0
            }
            guard let key = RequirementKey(name: name) else {
                let guess = closestMatch(to: name, in: RequirementKey.allCases.map(\.name))
                log.error("'\(name)' is not a machine parameter a program can require", at: nameAt,
                          notes: [.init((guess.map { "did you mean '\($0)'? " } ?? "") + Self.requirementHelp)])
                return 0
            }
            if let previous = requireDirectives.first(where: { $0.key == key }) {
                log.error("'.require \(name)' given twice", at: at, notes: [.init("first given here", at: previous.at)])
                return 0
            }
            requireDirectives.append((key, at, value))
            return 0
        case ".inst":
            guard section == .text else {
                log.error("'.inst' emits an instruction word and belongs in .text", at: at)
                return 0
            }
            guard arguments.count == 1 else {
                log.error("'.inst' takes one 32-bit word", at: arguments.first?.location ?? at)
                return 0
            }
            return 1
        case ".byte", ".half", ".word", ".ascii", ".space", ".align", ".org":
            guard section != .text else {
                log.error("'\(name)' is data and cannot appear in .text", at: at,
                          notes: [.init("switch to a data section first: .wdata (weight SRAM), .adata (activation SRAM) or .ddata (DRAM)")])
                return 0
            }
            return dataSize(name, at: at, arguments, here: here)
        default:
            var notes: [Diagnostic.Note] = []
            let known = [".text", ".wdata", ".adata", ".ddata", ".equ", ".entry", ".require", ".inst", ".packing", ".trits",
                         ".byte", ".half", ".word", ".ascii", ".space", ".align", ".org"]
            if let guess = closestMatch(to: name, in: known) { notes.append(.init("did you mean '\(guess)'?")) }
            log.error("unknown directive '\(name)'", at: at, notes: notes)
            return 0
        }
    }

    private mutating func dataSize(_ name: String, at: SourceLocation, _ arguments: [Operand], here: Int64) -> Int64 {
        switch name {
        case ".byte", ".half", ".word":
            if arguments.isEmpty { log.error("'\(name)' needs at least one value", at: at) }
            return Int64(arguments.count) * (name == ".byte" ? 1 : name == ".half" ? 2 : 4)
        case ".ascii":
            guard arguments.count == 1, case .string(let bytes, _) = arguments[0] else {
                log.error("'.ascii' takes one string literal", at: arguments.first?.location ?? at)
                return 0
            }
            return Int64(bytes.count)
        case ".space":
            guard (1...2).contains(arguments.count) else {
                log.error("'.space' takes a size and an optional fill byte", at: at)
                return 0
            }
            guard let n = sizingValue(arguments[0], here: here) else { return 0 }
            guard n >= 0 else { log.error("'.space' size \(n) is negative", at: arguments[0].location); return 0 }
            return n
        case ".align":
            guard arguments.count == 1, let n = sizingValue(arguments[0], here: here) else {
                if arguments.count != 1 { log.error("'.align' takes one alignment in bytes", at: at) }
                return 0
            }
            guard (1...(1 << 20)).contains(n) else {
                log.error("alignment \(n) is outside 1...\(1 << 20)", at: arguments[0].location)
                return 0
            }
            return (n - here % n) % n
        default:  // .org
            guard arguments.count == 1, let target = sizingValue(arguments[0], here: here) else {
                if arguments.count != 1 { log.error("'.org' takes one address", at: at) }
                return 0
            }
            guard target >= here else {
                log.error("'.org \(target)' would move backwards from \(here)", at: arguments[0].location)
                return 0
            }
            return target - here
        }
    }

    /// Evaluates a size operand in the first pass (only symbols defined above are known).
    private mutating func sizingValue(_ operand: Operand, here: Int64) -> Int64? {
        guard case .expression(let e) = operand else {
            log.error("expected an expression, found \(operand.noun)", at: operand.location)
            return nil
        }
        let evaluator = Evaluator(resolve: { [symbols] n, l throws(EvaluationError) in try symbols.value(of: n, at: l, phase: .sizing) },
                                  here: here)
        do { return try evaluator.evaluate(e) } catch {
            log.error(error.message, at: error.location, notes: error.notes)
            return nil
        }
    }

    private mutating func sizeOfRawDirective(_ name: String, at: SourceLocation, _ text: RawText, section: Section) -> Int64 {
        if name == ".packing" {
            let words = text.words(in: file.lines[text.line - 1], limit: 2)
            guard words.count == 1, let layout = TritPacking(rawValue: String(decoding: words[0].text, as: UTF8.self)) else {
                log.error("'.packing' takes one layout: base3 or 2bit", at: words.first?.location ?? at)
                return 0
            }
            if let previous = packingLocation {
                log.error("'.packing' given twice", at: at, notes: [.init("first given here", at: previous)])
            } else if sawTrits {
                log.error("'.packing' must come before the first '.trits'", at: at)
            }
            packing = layout
            packingLocation = at
            return 0
        }
        // .trits
        sawTrits = true
        guard section != .text else {
            log.error("'.trits' is data and cannot appear in .text", at: at,
                      notes: [.init("weights usually go in .wdata (weight SRAM) or .ddata (DRAM)")])
            return 0
        }
        guard let count = countTrits(text, at: at) else { return 0 }
        return Int64(packing.byteCount(forTrits: count))
    }

    /// The trit value of a `.trits` digit ('+', '0', '-'); nil for anything else.
    private static func tritValue(_ byte: UInt8) -> Int8? {
        byte < 0x80 ? Trit(symbol: Character(UnicodeScalar(byte)))?.rawValue : nil
    }

    /// The number of trits of a `.trits` line, or nil after reporting an empty line or the
    /// first character that is not a trit digit.
    mutating func countTrits(_ text: RawText, at: SourceLocation) -> Int? {
        let bytes = file.lines[text.line - 1]
        var count = 0
        for i in text.start..<text.end where !RawText.isSeparator(bytes[i]) {
            guard Self.tritValue(bytes[i]) != nil else {
                let shown = String(decoding: bytes[i..<min(text.end, i + 4)], as: UTF8.self).prefix(1)
                log.error("invalid character '\(shown)' in trit literal; trit digits are '+', '0' and '-'",
                          at: SourceLocation(line: text.line, column: i + 1))
                return nil
            }
            count += 1
        }
        guard count > 0 else {
            log.error("'.trits' needs at least one trit literal, such as +0-+-", at: at)
            return nil
        }
        return count
    }

    /// Packs the trits of a `.trits` line (already checked by `countTrits`) into `section` at
    /// `address`, a chunk at a time.
    private mutating func emitTrits(_ text: RawText, section: Section, at address: Int64) {
        let bytes = file.lines[text.line - 1]
        let perByte = packing.tritsPerByte
        let chunkTrits = 4096 * perByte * 4   // a multiple of both layouts' trits per byte
        var trits = [Int8](repeating: 0, count: chunkTrits)
        var packed = [UInt8](repeating: 0, count: chunkTrits / perByte)
        var filled = 0
        var offset = address
        func flush() {
            let n = packing.byteCount(forTrits: filled)
            trits.withUnsafeBufferPointer { t in
                packed.withUnsafeMutableBufferPointer { p in packing.pack(t.baseAddress!, count: filled, into: p.baseAddress!) }
            }
            write(Array(packed[0..<n]), to: section, at: offset)
            offset += Int64(n)
            filled = 0
        }
        for i in text.start..<text.end {
            guard let trit = Self.tritValue(bytes[i]) else { continue }
            trits[filled] = trit
            filled += 1
            if filled == chunkTrits { flush() }
        }
        if filled > 0 { flush() }
    }

    // MARK: pass 2: words and bytes

    private mutating func emit() {
        for section in Section.allCases where section != .text {
            data[section] = [UInt8](repeating: 0, count: Int(size[section, default: 0]))
        }
        code.reserveCapacity(Int(size[.text, default: 0]))
        var last: SourceLocation?   // the statement of the last code word
        for (statement, place) in zip(statements, placement) where !log.isFull {
            guard let body = statement.body else { continue }
            switch body {
            case .instruction(let mnemonic, let at, let operands):
                guard place.section == .text else { continue }
                code.append(encodeInstruction(mnemonic, at: at, operands, pc: place.at))
                last = at
            case .directive(let name, let at, let arguments):
                if name == ".inst", place.section == .text, arguments.count == 1 {
                    code.append(UInt32(truncatingIfNeeded: value(of: arguments[0], here: place.at, bits: 32) ?? 0))
                    last = at
                } else if place.section != .text {
                    emitData(name, arguments, section: place.section, at: place.at, size: place.size)
                }
            case .rawDirective(let name, _, let text):
                guard name == ".trits", place.section != .text, place.size > 0 else { continue }
                emitTrits(text, section: place.section, at: place.at)
            }
        }
        if let last, let word = code.last, !log.hasErrors, !unreachable.contains(last) { warnIfCodeRunsOffTheEnd(word, at: last) }
        // Constants nobody used still have to be valid.
        for name in symbols.order {
            guard let entry = symbols.entries[name], case .constant = entry.definition else { continue }
            do { _ = try symbols.value(of: name, at: entry.location, phase: .final) } catch {
                log.error(error.message, at: error.location, notes: error.notes)
            }
        }
    }

    /// Execution that passes the last code word fetches outside the code and traps; a
    /// program normally ends with `halt` or an unconditional jump.
    private mutating func warnIfCodeRunsOffTheEnd(_ word: UInt32, at location: SourceLocation) {
        guard let instruction = try? Instruction(decoding: word) else { return }
        switch instruction.opcode {
        case .halt, .jal, .jalr: return
        case .beq, .bge, .bgeu: if instruction.a == instruction.b { return }   // always taken
        default: break
        }
        log.warning("execution can run past the last instruction ('\(instruction.opcode.mnemonic)' is not 'halt' or a jump); the machine then traps at pc \(code.count)",
                    at: location, notes: [.init("end the program with 'halt'")])
    }

    private mutating func write(_ bytes: [UInt8], to section: Section, at address: Int64) {
        let start = Int(address)
        guard let buffer = data[section], start + bytes.count <= buffer.count else { return }
        data[section]!.replaceSubrange(start..<start + bytes.count, with: bytes)
    }

    private mutating func emitData(_ name: String, _ arguments: [Operand], section: Section, at address: Int64, size: Int64) {
        switch name {
        case ".byte", ".half", ".word":
            let width = name == ".byte" ? 1 : name == ".half" ? 2 : 4
            var bytes: [UInt8] = []
            for (i, argument) in arguments.enumerated() {
                let v = value(of: argument, here: address + Int64(i * width), bits: width * 8) ?? 0
                bytes += (0..<width).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
            }
            write(bytes, to: section, at: address)
        case ".ascii":
            if case .string(let bytes, _) = arguments.first { write(bytes, to: section, at: address) }
        case ".space" where arguments.count == 2:
            let fill = UInt8(truncatingIfNeeded: value(of: arguments[1], here: address, bits: 8) ?? 0)
            write([UInt8](repeating: fill, count: Int(size)), to: section, at: address)
        default:
            break  // .space without fill, .align and .org leave zeros
        }
    }

    /// Evaluates a data or `.inst` value and warns when it does not fit `bits`
    /// (accepting both the signed and the unsigned range).
    private mutating func value(of operand: Operand, here: Int64, bits: Int) -> Int64? {
        guard let v = evaluate(operand, here: here) else { return nil }
        let low = -(Int64(1) << (bits - 1))
        let high = (Int64(1) << bits) - 1
        if v < low || v > high {
            let truncated = Int64(UInt64(bitPattern: v) & UInt64(high))
            log.warning("value \(v) does not fit in \(bits) bits; truncated to \(truncated) (0x\(String(truncated, radix: 16, uppercase: true)))",
                        at: operand.location)
        }
        return v
    }

    mutating func evaluate(_ operand: Operand, here: Int64) -> Int64? {
        guard case .expression(let e) = operand else {
            log.error("expected an expression, found \(operand.noun)", at: operand.location)
            return nil
        }
        return evaluate(e, here: here)
    }

    mutating func evaluate(_ e: Expression, here: Int64) -> Int64? {
        let evaluator = Evaluator(resolve: { [symbols] n, l throws(EvaluationError) in try symbols.value(of: n, at: l, phase: .final) },
                                  here: here)
        do { return try evaluator.evaluate(e) } catch {
            log.error(error.message, at: error.location, notes: error.notes)
            return nil
        }
    }

    // MARK: image

    private mutating func resolveEntry() -> UInt32 {
        guard let e = entryExpression, let v = evaluate(e, here: 0) else { return 0 }
        guard v >= 0, v < Int64(code.count) else {
            log.error("entry point \(v) is outside the code (0..<\(code.count))", at: e.location)
            return 0
        }
        return UInt32(v)
    }

    static let requirementHelp = "the parameters are "
        + RequirementKey.allCases.filter(\.exact).map(\.name).joined(separator: ", ") + " (exact) and "
        + RequirementKey.allCases.filter { !$0.exact }.map(\.name).joined(separator: ", ") + " (minimum sizes in bytes)"

    private mutating func resolveRequirements() -> [Requirement] {
        var requirements: [Requirement] = []
        for directive in requireDirectives {
            guard let v = evaluate(directive.value, here: 0) else { continue }
            guard (1...RequirementKey.maxValue).contains(v) else {
                log.error("\(directive.key.name) \(v) is outside 1...\(RequirementKey.maxValue)", at: directive.value.location)
                continue
            }
            requirements.append(Requirement(directive.key, v))
        }
        return requirements.sorted { $0.key.rawValue < $1.key.rawValue }
    }

    private func imageSymbols() -> [Symbol] {
        symbols.order.compactMap { name in
            guard let entry = symbols.entries[name] else { return nil }
            switch entry.definition {
            case .label(let space, let v): return Symbol(name: name, space: space, value: v)
            case .constant: return entry.cached.map { Symbol(name: name, space: .constant, value: $0) }
            }
        }.sorted(by: Symbol.canonicalOrder)
    }
}
