import NMPJSON
import NMPSupport
import NMPTrits

// The JSON machine config (ISA.md sections 3.1, 3.4 and 3.5): reading with errors that name
// the field, validation, and writing every key in the documented order.
//
// The reader is a small JSON parser of its own rather than JSONSerialization, so that it can
// tell `true` from 1, 1 from 1.0, report 1e400 and 2^63 as out of range instead of rounding
// them, reject duplicate keys, and give the line and column of a syntax error.

extension MachineConfig {
    /// Simulator limits (ISA.md 3.1): no configuration within them can exhaust host memory,
    /// make one simulated cycle cost unbounded host work, or overflow the simulator's integer
    /// arithmetic or a report's numbers.
    public static let maxVLEN = 65_536
    /// Largest ROWS * VLEN (trits in one trit matrix register).
    public static let maxMatrixTrits = 4_194_304
    /// Largest memory size in bytes: addresses are 32-bit.
    public static let maxMemorySize = 1 << 32
    /// Largest result latency and `branchPenalty`, in cycles.
    public static let maxLatency = 1_000_000
    /// Largest `dmaLatency`, in cycles.
    public static let maxDMALatency = 1_000_000_000
    /// Largest `banks`, `dmaQueueDepth`, `arrayQueueDepth` and `loopDepth`.
    public static let maxCount = 65_536
    /// Largest `bankWidth` and `dramBytesPerCycle`, in bytes: a DMA transfer copies at most
    /// this many bytes per simulated cycle.
    public static let maxBytesPerCycle = 65_536
    /// `clockGHz` from 1 MHz to 1 THz.
    public static let clockRange: ClosedRange<Double> = 0.001...1000
    /// Every energy price, pJ per event, and `staticPowerMW`, mW: at most 1 uJ per event and
    /// 1 kW, so that no report of any run can overflow.
    public static let energyRange: ClosedRange<Double> = 0...1_000_000
    /// Points of `energy.sramCurve`, and the largest size a point may name (2^48 bytes).
    public static let maxCurvePoints = 64
    public static let maxCurveBytes = 1 << 48

    /// Every numeric key of the config with its allowed range, in the order of ISA.md 3.5's
    /// range table (a test reads that table and compares). `limit` marks upper bounds that
    /// are simulator limits rather than constraints of the machine.
    public static var ranges: [(key: String, range: String, limit: Bool)] {
        var rows: [(String, String, Bool)] = []
        for key in ConfigKey.all {
            switch key {
            case .double(let name, _, let range): rows.append((name, "\(bound(range.lowerBound)) ... \(bound(range.upperBound))", true))
            case .int(let name, _, let range, let limit): rows.append((name, "\(range.lowerBound) ... \(range.upperBound)", limit))
            case .packing: break
            case .sram(let name, _):
                for field in SRAMKey.all { rows.append(("\(name).\(field.name)", "\(field.range.lowerBound) ... \(field.range.upperBound)", field.limit)) }
            case .energy:
                rows.append(("energy.*", "\(bound(energyRange.lowerBound)) ... \(bound(energyRange.upperBound))", true))
                rows.append(("energy.sramCurve", "1 ... \(maxCurvePoints) points", true))
                rows.append(("energy.sramCurve[i].bytes", "1 ... \(maxCurveBytes)", true))
            }
        }
        return rows
    }

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
        try merge(json: bytes, source: source)
        try validate(source: source)
    }

    /// Replaces every key the JSON document gives (any subset, as `init(json:source:)`
    /// reads them: the same names, types and errors) and keeps the others; does not
    /// validate, so that several documents can be merged before one `validate(source:)`.
    /// `nmp sweep` merges each point's `--set` values over its base config this way.
    public mutating func merge(json bytes: [UInt8], source: String) throws(ConfigError) {
        let root: StrictJSON
        do {
            root = try StrictJSON.parse(bytes, maxDepth: 64)
        } catch {
            throw ConfigError(source: source, field: "", message: "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
        }
        let reader = StrictJSONReader(source: source)
        try reader.apply(root, to: &self)
    }

    /// The dotted name of every key that holds one value (a number or the packing string),
    /// in the documented order: `vlen`, `weightSRAM.size`, `energy.dramRead`, ... (not
    /// `energy.sramCurve`, an array).
    public static var scalarKeys: [String] {
        ConfigKey.all.flatMap { key -> [String] in
            switch key {
            case .double(let name, _, _), .int(let name, _, _, _): [name]
            case .packing: ["packing"]
            case .sram(let name, _): SRAMKey.all.map { "\(name).\($0.name)" }
            case .energy: EnergyKey.all.compactMap { field in
                if case .value(let name, _) = field { "energy.\(name)" } else { nil }
            }
            }
        }
    }

    /// Checks the ranges of ISA.md 3.5 (the `ConfigKey` table), then the constraints of
    /// ISA.md 3.1 that relate keys, in the order of the keys in `jsonText()`; throws the
    /// first violation, naming its field.
    /// - Parameter source: names the config in the error.
    public func validate(source: String = "<config>") throws(ConfigError) {
        func fail(_ field: String, _ message: String) -> ConfigError {
            ConfigError(source: source, field: field, message: message)
        }
        func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>, limit: Bool) throws(ConfigError) {
            if value < range.lowerBound { throw fail(field, "must be at least \(range.lowerBound) (got \(value))") }
            if value > range.upperBound {
                throw fail(field, "must be at most \(range.upperBound)\(limit ? " (simulator limit)" : "") (got \(value))")
            }
        }
        func check(_ field: String, _ value: Double, _ range: ClosedRange<Double>) throws(ConfigError) {
            guard value.isFinite, range.contains(value) else {
                throw fail(field, "must be a finite number from \(Self.bound(range.lowerBound)) to \(Self.bound(range.upperBound)) (got \(value))")
            }
        }

        for key in ConfigKey.all {
            switch key {
            case .double(let name, let path, let range): try check(name, self[keyPath: path], range)
            case .int(let name, let path, let range, let limit):
                try check(name, self[keyPath: path], range, limit: limit)
                if name == "rows" {
                    if rows > vlen {
                        throw fail("rows", "must be at most vlen (\(vlen)) so that the ROWS results of mmac fit in one accumulator (got \(rows))")
                    }
                    if rows * vlen > Self.maxMatrixTrits {
                        throw fail("rows", "rows * vlen must be at most \(Self.maxMatrixTrits) (simulator limit) (got \(rows) * \(vlen) = \(rows * vlen))")
                    }
                }
            case .packing: break
            case .sram(let name, let path):
                let sram = self[keyPath: path]
                for field in SRAMKey.all { try check("\(name).\(field.name)", sram[keyPath: field.path], field.range, limit: field.limit) }
                if name == "weightSRAM" && weightSRAM.size < tileBytes {
                    throw fail("weightSRAM.size", "must hold at least one trit tile, ROWS * ROWBYTES = \(rows) * \(rowBytes) = \(tileBytes) bytes, so that ldm can load one (got \(weightSRAM.size))")
                }
                if name == "activationSRAM" && activationSRAM.size < 4 * vlen {
                    throw fail("activationSRAM.size", "must hold at least one accumulator register, 4 * VLEN = \(4 * vlen) bytes, so that lda and sta can move one (got \(activationSRAM.size))")
                }
            case .energy:
                for field in EnergyKey.all {
                    switch field {
                    case .value(let name, let path): try check("energy.\(name)", energy[keyPath: path], Self.energyRange)
                    case .curve:
                        let curve = energy.sramCurve
                        guard !curve.isEmpty else { throw fail("energy.sramCurve", "must have at least one point") }
                        guard curve.count <= Self.maxCurvePoints else {
                            throw fail("energy.sramCurve", "must have at most \(Self.maxCurvePoints) points (got \(curve.count))")
                        }
                        for (i, point) in curve.enumerated() {
                            let field = "energy.sramCurve[\(i)]"
                            try check("\(field).bytes", point.bytes, 1...Self.maxCurveBytes, limit: true)
                            if i > 0, point.bytes <= curve[i - 1].bytes {
                                throw fail("\(field).bytes", "sizes must be strictly increasing: must be greater than \(curve[i - 1].bytes) (got \(point.bytes))")
                            }
                            try check("\(field).picojoulesPer64Bit", point.picojoulesPer64Bit, Self.energyRange)
                        }
                    }
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
            case .double(let name, let path, _): member(1, name, Self.number(self[keyPath: path]), last: last)
            case .int(let name, let path, _, _): member(1, name, String(self[keyPath: path]), last: last)
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
                    case .value(let name, let path): member(2, name, Self.number(energy[keyPath: path]), last: lastField)
                    case .curve:
                        lines.append("    \"sramCurve\": [")
                        for (j, point) in energy.sramCurve.enumerated() {
                            lines.append("      { \"bytes\": \(point.bytes), \"picojoulesPer64Bit\": \(Self.number(point.picojoulesPer64Bit)) }"
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

    /// Swift's shortest round-trip form of a number.
    static func number(_ value: Double) -> String { value.description }

    /// A range bound as people write it: 1000, not 1000.0.
    static func bound(_ value: Double) -> String {
        value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : value.description
    }
}

// MARK: - Keys

/// A top-level config key, in the documented order (ISA.md 3.1), with its range (ISA.md
/// 3.5): the one table that reading, validation, writing and the documentation test walk.
private enum ConfigKey {
    case double(String, WritableKeyPath<MachineConfig, Double>, ClosedRange<Double>)
    /// Name, path, range, and whether the upper bound is a simulator limit.
    case int(String, WritableKeyPath<MachineConfig, Int>, ClosedRange<Int>, Bool)
    case packing
    case sram(String, WritableKeyPath<MachineConfig, SRAMConfig>)
    case energy

    var name: String {
        switch self {
        case .double(let name, _, _), .int(let name, _, _, _), .sram(let name, _): name
        case .packing: "packing"
        case .energy: "energy"
        }
    }

    static var all: [ConfigKey] {
        typealias M = MachineConfig
        let latency = 0...M.maxLatency
        return [
            .double("clockGHz", \.clockGHz, M.clockRange),
            .int("vlen", \.vlen, 1...M.maxVLEN, true),
            .int("rows", \.rows, 1...M.maxVLEN, true),
            .packing,
            .sram("weightSRAM", \.weightSRAM),
            .sram("activationSRAM", \.activationSRAM),
            .int("dramSize", \.dramSize, 1...M.maxMemorySize, false),
            .int("dramBytesPerCycle", \.dramBytesPerCycle, 1...M.maxBytesPerCycle, true),
            .int("dmaLatency", \.dmaLatency, 0...M.maxDMALatency, true),
            .int("dmaQueueDepth", \.dmaQueueDepth, 1...M.maxCount, true),
            .int("arrayQueueDepth", \.arrayQueueDepth, 1...M.maxCount, true),
            .int("loopDepth", \.loopDepth, 1...M.maxCount, true),
            .int("aluLatency", \.aluLatency, latency, true),
            .int("mulLatency", \.mulLatency, latency, true),
            .int("divLatency", \.divLatency, latency, true),
            .int("loadLatency", \.loadLatency, latency, true),
            .int("unpackLatency", \.unpackLatency, latency, true),
            .int("vectorLatency", \.vectorLatency, latency, true),
            .int("vectorMulLatency", \.vectorMulLatency, latency, true),
            .int("macLatency", \.macLatency, latency, true),
            .int("mmacLatency", \.mmacLatency, latency, true),
            .int("reduceLatency", \.reduceLatency, latency, true),
            .int("requantLatency", \.requantLatency, latency, true),
            .int("floatLatency", \.floatLatency, latency, true),
            .int("expLatency", \.expLatency, latency, true),
            .int("floatLanes", \.floatLanes, 1...M.maxVLEN, true),
            .int("branchPenalty", \.branchPenalty, latency, true),
            .energy,
        ]
    }
}

/// A key of a `weightSRAM` or `activationSRAM` object, with its range.
private struct SRAMKey {
    var name: String
    var path: WritableKeyPath<SRAMConfig, Int>
    var range: ClosedRange<Int>
    /// Whether the upper bound is a simulator limit.
    var limit: Bool

    static var all: [SRAMKey] {
        [SRAMKey(name: "size", path: \.size, range: 1...MachineConfig.maxMemorySize, limit: false),
         SRAMKey(name: "banks", path: \.banks, range: 1...MachineConfig.maxCount, limit: true),
         SRAMKey(name: "bankWidth", path: \.bankWidth, range: 1...MachineConfig.maxBytesPerCycle, limit: true)]
    }
}

/// A key of the `energy` object, in the order of ISA.md 3.4.
enum EnergyKey {
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
            case .double(_, let path, _): config[keyPath: path] = try double(value, at: name)
            case .int(_, let path, _, _): config[keyPath: path] = try int(value, at: name)
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
                let field = path.isEmpty ? Suggestion.quoted(key) : "\(path).\(Suggestion.quoted(key))"
                if let suggestion = Suggestion.nearest(to: key, in: known) {
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
        switch value.integer() {
        case .success(let result): return result
        case .failure(.notANumber): throw fail(path, "must be an integer (got \(value.summary))")
        case .failure(.notAnInteger(let text)): throw fail(path, "must be an integer (got \(text))")
        case .failure(.outOfRange(let text)): throw fail(path, "integer out of range (got \(text))")
        }
    }

    private func double(_ value: StrictJSON, at path: String) throws(ConfigError) -> Double {
        switch value.finiteDouble() {
        case .success(let result): return result
        case .failure(.outOfRange(let text)), .failure(.notAnInteger(let text)): throw fail(path, "number out of range (got \(text))")
        case .failure(.notANumber): throw fail(path, "must be a number (got \(value.summary))")
        }
    }

    private func string(_ value: StrictJSON, at path: String) throws(ConfigError) -> String {
        guard case .string(let text) = value else { throw fail(path, "must be a string (got \(value.summary))") }
        return text
    }
}
