import NMPSimulator

/// A model `config.json` that cannot be read, or that describes no model the runtime can
/// build: the same error as a machine config's (`source`, `field`, `message`), where
/// `field` is the JSON key at fault (`hidden_size`, `num_key_value_heads`, ...):
///
///     config.json: field 'hidden_act': unsupported activation "gelu" (supported: "relu2", "silu")
public typealias ModelConfigError = ConfigError
