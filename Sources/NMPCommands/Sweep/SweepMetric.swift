/// A result column of `nmp sweep`: a number of the point's `nmp model --json` report
/// (schema `nmp-model/2`), taken from the report rather than computed again, so that a sweep
/// row and `nmp model --json` on the same machine agree to the last digit. The names are
/// stable (README, "nmp sweep"): a plot or a script picks a column by name.
struct SweepMetric {
    let name: String
    /// Where the value is in the report.
    let path: [String]
    /// The value is `path` divided by this member (`of_bound`: the bound over the cycles).
    var over: [String]? = nil
    let meaning: String
    /// The axis title of a plot of it (`nmp sweep --plot`), and its unit; nil for a column
    /// that is not a number (`fits_dram`).
    var axis: (title: String, unit: String)? = nil

    /// The columns of a pass (`decode` or `prefill`), its FP16 baseline's last.
    static func pass(_ pass: String) -> [SweepMetric] {
        var columns = [
            SweepMetric(name: "\(pass)_cycles_per_token", path: [pass, "cycles_per_token"], meaning: "cycles per token", axis: ("\(pass) cycles per token", "cycles")),
            SweepMetric(name: "\(pass)_tokens_per_second", path: [pass, "tokens_per_second"], meaning: "tokens per second at the machine's clock", axis: ("\(pass) tokens per second", "tokens/s")),
            SweepMetric(name: "\(pass)_energy_pj_per_token", path: [pass, "energy_pj_per_token"], meaning: "energy per token, pJ", axis: ("\(pass) energy per token", "pJ")),
            SweepMetric(name: "\(pass)_dram_bytes_per_token", path: [pass, "dram_bytes_per_token"], meaning: "DRAM bytes per token", axis: ("\(pass) DRAM bytes per token", "bytes")),
            SweepMetric(name: "\(pass)_bound_cycles_per_token", path: [pass, "bound_cycles_per_token"],
                        meaning: "the sum of the operations' bounds (fewest possible cycles) per token", axis: ("\(pass) bound cycles per token", "cycles")),
            SweepMetric(name: "\(pass)_of_bound", path: [pass, "bound_cycles_per_token"], over: [pass, "cycles_per_token"],
                        meaning: "bound over cycles (0 ... 1; the text report's \"of bound\")", axis: ("\(pass) bound over cycles (of bound)", "fraction, 0 ... 1")),
            SweepMetric(name: "\(pass)_mac_utilization", path: [pass, "mac_utilization"], meaning: "trit-MACs per cycle over the peak ROWS x VLEN (0 ... 1)", axis: ("\(pass) MAC utilization", "fraction, 0 ... 1")),
            SweepMetric(name: "\(pass)_roofline_utilization", path: [pass, "roofline_utilization"],
                        meaning: "all DRAM bytes at the DMA bandwidth, or the trit-MACs at peak, over the cycles (0 ... 1)", axis: ("\(pass) roofline utilization", "fraction, 0 ... 1")),
        ]
        columns += [
            SweepMetric(name: "\(pass)_fp16_cycles_per_token", path: [pass, "fp16_baseline", "cycles_per_token"],
                        meaning: "the FP16 baseline's cycles per token (simulated)", axis: ("\(pass) FP16 baseline cycles per token", "cycles")),
            SweepMetric(name: "\(pass)_fp16_energy_pj_per_token", path: [pass, "fp16_baseline", "energy_pj_per_token"],
                        meaning: "the FP16 baseline's energy per token, pJ", axis: ("\(pass) FP16 baseline energy per token", "pJ")),
            SweepMetric(name: "\(pass)_latency_ratio", path: [pass, "ratios", "latency"], meaning: "FP16 baseline cycles over ternary cycles", axis: ("\(pass) latency ratio, FP16 baseline over ternary", "times")),
            SweepMetric(name: "\(pass)_energy_ratio", path: [pass, "ratios", "energy"], meaning: "FP16 baseline energy over ternary energy", axis: ("\(pass) energy ratio, FP16 baseline over ternary", "times")),
        ]
        return columns
    }

    /// Every metric column of a sweep, in order: the model's, the decode token's, and the
    /// prefill's when there is one.
    static func all(prefill: Bool) -> [SweepMetric] {
        [SweepMetric(name: "packed_weight_bytes", path: ["packed_weight_bytes"], meaning: "packed ternary weight bytes of all layers", axis: ("packed ternary weight bytes", "bytes")),
         SweepMetric(name: "fits_dram", path: ["fits_dram"], meaning: "whether the whole model fits the machine's DRAM (true, false)")]
            + pass("decode") + (prefill ? pass("prefill") : [])
    }

    /// The value in `report`, as JSON writes it (null when the report lacks it).
    func value(in report: JSONValue) -> JSONValue {
        guard let value = report.member(path) else { return .null }
        guard let over else { return value }
        guard case .number(let part) = value, case .number(let whole)? = report.member(over), whole > 0 else { return .null }
        return .number(part / whole)
    }

    /// A value as a CSV field: the JSON text of a number or boolean; empty for null.
    static func field(_ value: JSONValue) -> String {
        if case .null = value { return "" }
        return value.render()
    }
}
