import NMPSimulator

/// The machine a command runs on: the defaults, a technology preset's energy prices
/// (`--tech NAME`, else the default preset), and a config file over them (`--config`), whose
/// own `energy` keys win over the preset's. Reports say which prices came from where.
struct MachineChoice {
    var config: MachineConfig
    /// Where the energy prices came from.
    let origin: EnergyOrigin

    /// The `--config` and `--tech` of `args` (an unknown preset name is a usage error listing
    /// the known ones; a bad config file fails naming its field).
    static func load(_ args: Arguments) throws(CommandError) -> MachineChoice {
        let preset: TechnologyPreset
        if let name = args.values["--tech"] {
            guard let named = TechnologyPreset.named(name) else {
                throw .usage("--tech '\(name)' is not a technology preset; use one of: \(TechnologyPreset.all.map(\.name).joined(separator: ", "))")
            }
            preset = named
        } else {
            preset = .standard
        }
        let path = args.values["--config"]
        var config = MachineConfig()
        var fromFile: [String] = []
        if let path {
            let bytes = try Files.read(path)
            config = try ConfigCommand.loadConfig(bytes: bytes, path: path)
            fromFile = MachineConfig.energyKeys(inJSON: bytes)
        }
        config.energy = config.energy.replacing(with: preset.energy, except: Set(fromFile))
        do {
            try config.validate(source: path ?? "--tech \(preset.name)")
        } catch {
            throw .failure(error.description)
        }
        return MachineChoice(config: config, origin: EnergyOrigin(preset: preset, presetGiven: args.values["--tech"] != nil,
                                                                   configPath: path, fromConfig: fromFile))
    }
}

/// Which energy prices came from a technology preset and which from a config file.
struct EnergyOrigin {
    let preset: TechnologyPreset
    /// Whether `--tech` named the preset (else it is the default).
    let presetGiven: Bool
    let configPath: String?
    /// The `energy` keys the config file set, in its order.
    let fromConfig: [String]

    /// The default machine's origin (no flags).
    static let standard = EnergyOrigin(preset: .standard, presetGiven: false, configPath: nil, fromConfig: [])

    /// One line for text reports: the preset, and the keys a config file set.
    var text: String {
        var line = "prices of the \(preset.name) preset (\(presetGiven ? "--tech" : "default; --tech to choose")); 'nmp config --sources' lists them"
        if let configPath, !fromConfig.isEmpty { line += "; from \(configPath): \(fromConfig.joined(separator: ", "))" }
        return line
    }

    var json: JSONValue {
        .object([("preset", .string(preset.name)), ("preset_given", .bool(presetGiven)),
                 ("from_config", .array(fromConfig.map(JSONValue.string)))])
    }
}
