import NMPJSON
import NMPTrits

// The JSON machine config (ISA.md sections 3.1, 3.4 and 3.5): reading with errors that name
// the field, validation, and writing every key in the documented order.
//
// The reader is a small JSON parser of its own rather than JSONSerialization, so that it can
// tell `true` from 1, 1 from 1.0, report 1e400 and 2^63 as out of range instead of rounding
// them, reject duplicate keys, and give the line and column of a syntax error.

extension MachineConfig {
    /// Simulator limits (ISA.md 3.1): no configuration within them can exhaust host memory
    /// or overflow the simulator's integer arithmetic.
    public static let maxVLEN = 65_536
    /// Largest ROWS * VLEN (trits in one trit matrix register).
    public static let maxMatrixTrits = 4_194_304
    /// Largest memory size in bytes: addresses are 32-bit.
    public static let maxMemorySize = 1 << 32
    /// Largest result latency and `branchPenalty`, in cycles.
    public static let maxLatency = 1_000_000
    /// Largest `dmaLatency`, in cycles.
    public static let maxDMALatency = 1_000_000_000
    /// Largest `banks`, `dmaQueueDepth` and `loopDepth`.
    public static let maxCount = 65_536
    /// Largest `bankWidth` and `dramBytesPerCycle`, in bytes.
    public static let maxBytesPerCycle = 1 << 32

    /// Reads a JSON machine config: the defaults of ISA.md 3.1, with every key the document
    /// gives replaced by its value, then validated (`validate(source:)`).
    ///
    /// Any subset of keys may be given, also inside `weightSRAM`, `activationSRAM` and
    /// `energy`; `energy.sramCurve` replaces the whole curve. Unknown keys, duplicate keys,
    /// values of the wrong type (a string or `true` for a number, 1.5 for an integer, null,
    /// an array for an object), numbers out of range (1e400, integers beyond Int) and
    /// malformed JSON are errors.
    /// - Parameter source: names the document in errors, e.g. its file name.
    public init(json bytes: [UInt8], source: String) throws(ConfigError) {
        self.init()
        let root: StrictJSON
        do {
            root = try StrictJSON.parse(bytes, maxDepth: 64)
        } catch {
            throw ConfigError(source: source, field: "", message: "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
        }
        let reader = StrictJSONReader(source: source)
        try reader.apply(root, to: &self)
        try validate(source: source)
    }

    /// Checks the constraints of ISA.md 3.1 and the simulator limits, in the order of the
    /// keys in `jsonText()`; throws the first violation, naming its field.
    /// - Parameter source: names the config in the error.
    public func validate(source: String = "<config>") throws(ConfigError) {
        func fail(_ field: String, _ message: String) -> ConfigError {
            ConfigError(source: source, field: field, message: message)
        }
        func check(_ field: String, _ value: Int, atLeast low: Int, atMost high: Int? = nil, limit: Bool = true) throws(ConfigError) {
            if value < low { throw fail(field, "must be at least \(low) (got \(value))") }
            if let high, value > high {
                throw fail(field, "must be at most \(high)\(limit ? " (simulator limit)" : "") (got \(value))")
            }
        }
        func checkEnergy(_ field: String, _ value: Double) throws(ConfigError) {
            guard value.isFinite, value >= 0 else { throw fail(field, "must be a finite number >= 0 (got \(value))") }
        }

        guard clockGHz.isFinite, clockGHz > 0 else { throw fail("clockGHz", "must be a finite number > 0 (got \(clockGHz))") }
        try check("vlen", vlen, atLeast: 1, atMost: Self.maxVLEN)
        try check("rows", rows, atLeast: 1)
        if rows > vlen {
            throw fail("rows", "must be at most vlen (\(vlen)) so that the ROWS results of mmac fit in one accumulator (got \(rows))")
        }
        if rows * vlen > Self.maxMatrixTrits {
            throw fail("rows", "rows * vlen must be at most \(Self.maxMatrixTrits) (simulator limit) (got \(rows) * \(vlen) = \(rows * vlen))")
        }
        for (name, sram) in [("weightSRAM", weightSRAM), ("activationSRAM", activationSRAM)] {
            try check("\(name).size", sram.size, atLeast: 1, atMost: Self.maxMemorySize, limit: false)
            try check("\(name).banks", sram.banks, atLeast: 1, atMost: Self.maxCount)
            try check("\(name).bankWidth", sram.bankWidth, atLeast: 1, atMost: Self.maxBytesPerCycle)
        }
        if weightSRAM.size < tileBytes {
            throw fail("weightSRAM.size", "must hold at least one trit tile, ROWS * ROWBYTES = \(rows) * \(rowBytes) = \(tileBytes) bytes, so that ldm can load one (got \(weightSRAM.size))")
        }
        if activationSRAM.size < 4 * vlen {
            throw fail("activationSRAM.size", "must hold at least one accumulator register, 4 * VLEN = \(4 * vlen) bytes, so that lda and sta can move one (got \(activationSRAM.size))")
        }
        try check("dramSize", dramSize, atLeast: 1, atMost: Self.maxMemorySize, limit: false)
        try check("dramBytesPerCycle", dramBytesPerCycle, atLeast: 1, atMost: Self.maxBytesPerCycle)
        try check("dmaLatency", dmaLatency, atLeast: 0, atMost: Self.maxDMALatency)
        try check("dmaQueueDepth", dmaQueueDepth, atLeast: 1, atMost: Self.maxCount)
        try check("loopDepth", loopDepth, atLeast: 1, atMost: Self.maxCount)
        let latencies = [
            ("aluLatency", aluLatency), ("mulLatency", mulLatency), ("divLatency", divLatency),
            ("loadLatency", loadLatency), ("unpackLatency", unpackLatency), ("vectorLatency", vectorLatency),
            ("vectorMulLatency", vectorMulLatency), ("macLatency", macLatency), ("mmacLatency", mmacLatency),
            ("reduceLatency", reduceLatency), ("requantLatency", requantLatency), ("floatLatency", floatLatency),
        ]
        for (name, value) in latencies {
            try check(name, value, atLeast: 0, atMost: Self.maxLatency)
        }
        try check("branchPenalty", branchPenalty, atLeast: 0, atMost: Self.maxLatency)

        for key in EnergyKey.all {
            switch key {
            case .value(let name, let path): try checkEnergy("energy.\(name)", energy[keyPath: path])
            case .curve:
                guard !energy.sramCurve.isEmpty else { throw fail("energy.sramCurve", "must have at least one point") }
                for (i, point) in energy.sramCurve.enumerated() {
                    let field = "energy.sramCurve[\(i)]"
                    try check("\(field).bytes", point.bytes, atLeast: 1)
                    if i > 0, point.bytes <= energy.sramCurve[i - 1].bytes {
                        throw fail("\(field).bytes", "sizes must be strictly increasing: must be greater than \(energy.sramCurve[i - 1].bytes) (got \(point.bytes))")
                    }
                    try checkEnergy("\(field).picojoulesPer64Bit", point.picojoulesPer64Bit)
                }
            }
        }
    }

    /// The config as pretty-printed JSON with every key, in the order of ISA.md 3.1 and
    /// 3.4; `init(json:source:)` reads it back to an equal config. Numbers are written in
    /// Swift's shortest round-trip form. (A config with a non-finite Double, which
    /// `validate()` rejects, does not produce valid JSON.)
    public func jsonText() -> String {
        var lines: [String] = []
        func member(_ indent: Int, _ key: String, _ value: String, last: Bool) {
            lines.append(String(repeating: "  ", count: indent) + "\"\(key)\": \(value)" + (last ? "" : ","))
        }
        let keys = ConfigKey.all
        for (index, key) in keys.enumerated() {
            let last = index == keys.count - 1
            switch key {
            case .double(let name, let path): member(1, name, number(self[keyPath: path]), last: last)
            case .int(let name, let path): member(1, name, String(self[keyPath: path]), last: last)
            case .packing: member(1, "packing", "\"\(packing.rawValue)\"", last: last)
            case .sram(let name, let path):
                lines.append("  \"\(name)\": {")
                let sram = self[keyPath: path]
                for (i, field) in SRAMKey.all.enumerated() {
                    member(2, field.name, String(sram[keyPath: field.path]), last: i == SRAMKey.all.count - 1)
                }
                lines.append("  }" + (last ? "" : ","))
            case .energy:
                lines.append("  \"energy\": {")
                for (i, field) in EnergyKey.all.enumerated() {
                    let lastField = i == EnergyKey.all.count - 1
                    switch field {
                    case .value(let name, let path): member(2, name, number(energy[keyPath: path]), last: lastField)
                    case .curve:
                        lines.append("    \"sramCurve\": [")
                        for (j, point) in energy.sramCurve.enumerated() {
                            lines.append("      { \"bytes\": \(point.bytes), \"picojoulesPer64Bit\": \(number(point.picojoulesPer64Bit)) }"
                                         + (j == energy.sramCurve.count - 1 ? "" : ","))
                        }
                        lines.append("    ]" + (lastField ? "" : ","))
                    }
                }
                lines.append("  }" + (last ? "" : ","))
            }
        }
        return "{\n" + lines.joined(separator: "\n") + "\n}"
    }

    private func number(_ value: Double) -> String { value.description }
}

// MARK: - Keys

/// A top-level config key, in the documented order (ISA.md 3.1).
private enum ConfigKey {
    case double(String, WritableKeyPath<MachineConfig, Double>)
    case int(String, WritableKeyPath<MachineConfig, Int>)
    case packing
    case sram(String, WritableKeyPath<MachineConfig, SRAMConfig>)
    case energy

    var name: String {
        switch self {
        case .double(let name, _), .int(let name, _), .sram(let name, _): name
        case .packing: "packing"
        case .energy: "energy"
        }
    }

    static var all: [ConfigKey] {
        [
            .double("clockGHz", \.clockGHz),
            .int("vlen", \.vlen),
            .int("rows", \.rows),
            .packing,
            .sram("weightSRAM", \.weightSRAM),
            .sram("activationSRAM", \.activationSRAM),
            .int("dramSize", \.dramSize),
            .int("dramBytesPerCycle", \.dramBytesPerCycle),
            .int("dmaLatency", \.dmaLatency),
            .int("dmaQueueDepth", \.dmaQueueDepth),
            .int("loopDepth", \.loopDepth),
            .int("aluLatency", \.aluLatency),
            .int("mulLatency", \.mulLatency),
            .int("divLatency", \.divLatency),
            .int("loadLatency", \.loadLatency),
            .int("unpackLatency", \.unpackLatency),
            .int("vectorLatency", \.vectorLatency),
            .int("vectorMulLatency", \.vectorMulLatency),
            .int("macLatency", \.macLatency),
            .int("mmacLatency", \.mmacLatency),
            .int("reduceLatency", \.reduceLatency),
            .int("requantLatency", \.requantLatency),
            .int("floatLatency", \.floatLatency),
            .int("branchPenalty", \.branchPenalty),
            .energy,
        ]
    }
}

/// A key of a `weightSRAM` or `activationSRAM` object.
private struct SRAMKey {
    var name: String
    var path: WritableKeyPath<SRAMConfig, Int>

    static var all: [SRAMKey] {
        [SRAMKey(name: "size", path: \.size), SRAMKey(name: "banks", path: \.banks), SRAMKey(name: "bankWidth", path: \.bankWidth)]
    }
}

/// A key of the `energy` object, in the order of ISA.md 3.4.
private enum EnergyKey {
    case value(String, WritableKeyPath<EnergyTable, Double>)
    case curve

    var name: String {
        switch self {
        case .value(let name, _): name
        case .curve: "sramCurve"
        }
    }

    static var all: [EnergyKey] {
        [
            .value("instruction", \.instruction),
            .value("registerRead", \.registerRead),
            .value("registerWrite", \.registerWrite),
            .value("int32Add", \.int32Add),
            .value("int32Mul", \.int32Mul),
            .value("int32Div", \.int32Div),
            .value("int8Op", \.int8Op),
            .value("fp32Add", \.fp32Add),
            .value("fp32Mul", \.fp32Mul),
            .value("fp32Div", \.fp32Div),
            .value("tritAdd", \.tritAdd),
            .value("tritSub", \.tritSub),
            .value("tritSkip", \.tritSkip),
            .value("tritUnpack", \.tritUnpack),
            .curve,
            .value("dramRead", \.dramRead),
            .value("dramWrite", \.dramWrite),
            .value("staticPowerMW", \.staticPowerMW),
            .value("fp16Add", \.fp16Add),
            .value("fp16Mul", \.fp16Mul),
        ]
    }
}

// MARK: - Reading parsed JSON into a config

/// Applies a parsed JSON document to a config, with errors naming the field.
private struct StrictJSONReader {
    let source: String

    func fail(_ field: String, _ message: String) -> ConfigError {
        ConfigError(source: source, field: field, message: message)
    }

    func apply(_ root: StrictJSON, to config: inout MachineConfig) throws(ConfigError) {
        guard case .object = root else {
            throw fail("", "a machine config must be a JSON object (got \(root.summary))")
        }
        let keys = ConfigKey.all
        for (name, value) in try members(root, at: "", known: keys.map(\.name), what: "ISA.md 3.1 lists the config keys") {
            switch keys.first(where: { $0.name == name })! {
            case .double(_, let path): config[keyPath: path] = try double(value, at: name)
            case .int(_, let path): config[keyPath: path] = try int(value, at: name)
            case .packing:
                let text = try string(value, at: name)
                guard let packing = TritPacking(rawValue: text) else {
                    throw fail(name, "must be \"base3\" or \"2bit\" (got \(value.summary))")
                }
                config.packing = packing
            case .sram(_, let path):
                let sramKeys = SRAMKey.all
                for (key, field) in try members(value, at: name, known: sramKeys.map(\.name), what: nil) {
                    let path2 = sramKeys.first(where: { $0.name == key })!.path
                    config[keyPath: path.appending(path: path2)] = try int(field, at: "\(name).\(key)")
                }
            case .energy:
                let energyKeys = EnergyKey.all
                for (key, field) in try members(value, at: name, known: energyKeys.map(\.name), what: "ISA.md 3.4 lists the energy keys") {
                    switch energyKeys.first(where: { $0.name == key })! {
                    case .value(_, let path): config.energy[keyPath: path] = try double(field, at: "energy.\(key)")
                    case .curve: config.energy.sramCurve = try curve(field, at: "energy.\(key)")
                    }
                }
            }
        }
    }

    private func curve(_ value: StrictJSON, at path: String) throws(ConfigError) -> [SRAMEnergyPoint] {
        guard case .array(let items) = value else { throw fail(path, "must be an array of {\"bytes\": ..., \"picojoulesPer64Bit\": ...} objects (got \(value.summary))") }
        var points: [SRAMEnergyPoint] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            var bytes: Int?
            var energy: Double?
            for (key, field) in try members(item, at: itemPath, known: ["bytes", "picojoulesPer64Bit"], what: nil) {
                if key == "bytes" { bytes = try int(field, at: "\(itemPath).bytes") } else { energy = try double(field, at: "\(itemPath).picojoulesPer64Bit") }
            }
            guard let bytes else { throw fail(itemPath, "missing key 'bytes'") }
            guard let energy else { throw fail(itemPath, "missing key 'picojoulesPer64Bit'") }
            points.append(SRAMEnergyPoint(bytes: bytes, picojoulesPer64Bit: energy))
        }
        return points
    }

    /// The members of an object, each key known and given once.
    private func members(_ value: StrictJSON, at path: String, known: [String], what: String?) throws(ConfigError) -> [(String, StrictJSON)] {
        guard case .object(let members) = value else { throw fail(path, "must be an object (got \(value.summary))") }
        var seen: Set<String> = []
        for (key, _) in members {
            let field = path.isEmpty ? key : "\(path).\(key)"
            guard known.contains(key) else {
                if let suggestion = Self.nearest(key, in: known) {
                    throw fail(field, "unknown key; did you mean '\(suggestion)'?")
                }
                if known.count <= 6 {
                    throw fail(field, "unknown key; expected " + known.map { "'\($0)'" }.joined(separator: ", "))
                }
                throw fail(field, "unknown key (\(what ?? "see ISA.md 3.1"))")
            }
            guard seen.insert(key).inserted else { throw fail(field, "key given twice") }
        }
        return members
    }

    private func int(_ value: StrictJSON, at path: String) throws(ConfigError) -> Int {
        guard case .number(let text) = value else { throw fail(path, "must be an integer (got \(value.summary))") }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            throw fail(path, "must be an integer (got \(text))")
        }
        guard let result = Int(text) else { throw fail(path, "integer out of range (got \(text))") }
        return result
    }

    private func double(_ value: StrictJSON, at path: String) throws(ConfigError) -> Double {
        guard case .number(let text) = value else { throw fail(path, "must be a number (got \(value.summary))") }
        guard let result = Double(text), result.isFinite else { throw fail(path, "number out of range (got \(text))") }
        return result
    }

    private func string(_ value: StrictJSON, at path: String) throws(ConfigError) -> String {
        guard case .string(let text) = value else { throw fail(path, "must be a string (got \(value.summary))") }
        return text
    }

    /// The known key closest to `key` (edit distance, ignoring case), if it is close enough
    /// to be a likely typo.
    static func nearest(_ key: String, in known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= Swift.max(2, best.0.count / 4) ? best.0 : nil
    }

    /// Levenshtein distance between two strings, by characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
