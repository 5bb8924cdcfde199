import NMPRuntime
import NMPSimulator
import NMPSupport
import NMPSweep

/// Everything a sweep's points share, and how one point becomes a result row: the point's
/// machine is the base machine (defaults, `--tech`, `--config`) with the point's `--set`
/// values merged over it through the config reader (`MachineConfig.merge`), so that keys,
/// types and ranges are checked by the one table of config keys with its messages; then the
/// `nmp model` request runs on it and its report gives the row.
struct SweepJob: @unchecked Sendable {
    let grid: SweepGrid
    let base: MachineChoice
    let request: ModelRequest
    /// The `--hf-config` path, as the report names it.
    let source: String
    let metrics: [SweepMetric]
    /// The fingerprint of the inputs, options and value lists (`SweepID`).
    let sweepID: String

    /// The CSV header.
    var header: [String] { SweepFile.leadingColumns + grid.axes.map(\.key) + metrics.map(\.name) + ["error"] }

    /// Checks the axes against the config reader, each value alone over the base machine: an
    /// unknown key (with the nearest known one) or a value of the wrong type is a usage
    /// error. Ranges and the constraints between keys are checked per point (a failing point
    /// is a row with its error).
    static func checkAxes(_ axes: [SweepAxis], base: MachineConfig) throws(CommandError) {
        let known = MachineConfig.scalarKeys
        for axis in axes {
            if axis.key == "energy.sramCurve" || axis.key.hasPrefix("energy.sramCurve[") {
                throw .usage("--set: energy.sramCurve is a list of points, which --set cannot give; sweep it with one --config file per curve")
            }
            guard known.contains(axis.key) else {
                let guess = Suggestion.nearest(to: axis.key, in: known)
                throw .usage("--set: '\(Suggestion.quoted(axis.key))' is not a machine config key" + (guess.map { "; did you mean '\($0)'?" } ?? "")
                             + " ('nmp config' shows every key; nested ones are dotted: weightSRAM.size, energy.dramRead)")
            }
            for value in axis.values {
                var config = base
                do {
                    try config.merge(json: document([axis.key], [value]), source: "--set \(axis.key)=\(Suggestion.quoted(value))")
                } catch {
                    throw .usage(error.description)
                }
            }
        }
    }

    /// The JSON document that sets `keys` (dotted: one level of nesting) to `values`: a value
    /// that is a JSON number is written as such, anything else as a string (`packing=2bit`).
    static func document(_ keys: [String], _ values: [String]) -> [UInt8] {
        var fields: [(String, JSONValue)] = []
        for (key, value) in zip(keys, values) {
            let literal = literal(value)
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                fields.append((key, literal))
                continue
            }
            if let i = fields.firstIndex(where: { $0.0 == parts[0] }), case .object(let inner) = fields[i].1 {
                fields[i].1 = .object(inner + [(parts[1], literal)])
            } else {
                fields.append((parts[0], .object([(parts[1], literal)])))
            }
        }
        return Array(JSONValue.object(fields).compact().utf8)
    }

    /// A `--set` value as JSON.
    static func literal(_ value: String) -> JSONValue {
        SweepAxis.isJSONNumber(value) ? .raw(value) : .string(value)
    }

    /// The machine of point `index`, checked as a config file is.
    func machine(_ values: [String]) throws(ConfigError) -> MachineConfig {
        var config = base.config
        try config.merge(json: Self.document(grid.axes.map(\.key), values), source: "--set")
        try config.validate(source: "machine")
        return config
    }

    /// Point `index` simulated: its CSV row and its JSON Lines record (each one line).
    func result(_ index: Int) -> (csv: String, json: String, failed: Bool) {
        let values = grid.values(at: index)
        var report: JSONValue = .null
        var failure: String?
        do {
            let machine = try machine(values)
            let plans = try request.plans(on: machine)
            let (decode, prefill) = try request.simulate(plans)
            let setEnergy = grid.axes.map(\.key).filter { $0.hasPrefix("energy.") }.map { String($0.dropFirst("energy.".count)) }
            let origin = EnergyOrigin(preset: base.origin.preset, presetGiven: base.origin.presetGiven, configPath: base.origin.configPath,
                                      fromConfig: base.origin.fromConfig.filter { !setEnergy.contains($0) } + setEnergy)
            report = ModelReport(source: source, energyOrigin: origin, decode: decode, prefill: prefill).json()
        } catch let error as ConfigError {
            failure = error.description
        } catch let error as CompileError {
            failure = error.description
        } catch {
            failure = "\(error)"
        }
        let numbers: [JSONValue] = failure == nil ? metrics.map { $0.value(in: report) } : metrics.map { _ in .null }
        let csv = CSV.record([String(index), String(grid.count), sweepID] + values + numbers.map(SweepMetric.field) + [failure ?? ""])
        let set: [(String, JSONValue)] = zip(grid.axes.map(\.key), values).map { ($0, Self.literal($1)) }
        let record: JSONValue = .object([
            ("point", .int(index)), ("points", .int(grid.count)), ("sweep_id", .string(sweepID)), ("set", .object(set)),
            ("error", failure.map(JSONValue.string) ?? .null),
            ("metrics", failure == nil ? .object(zip(metrics.map(\.name), numbers).map { ($0, $1) }) : .null),
            ("report", report),
        ])
        return (csv, record.compact() + "\n", failure != nil)
    }
}
