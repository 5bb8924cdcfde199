/// Renders the instruction table as the Markdown that ISA.md embeds between its
/// `BEGIN/END GENERATED: instruction-table` markers; a test checks the two are identical,
/// so the spec cannot drift from the code.
public enum InstructionTableMarkdown {
    public static let beginMarker = "<!-- BEGIN GENERATED: instruction-table -->"
    public static let endMarker = "<!-- END GENERATED: instruction-table -->"

    /// One table per instruction group: opcode byte, syntax, format and fields, cycle rule,
    /// semantics.
    public static func render() -> String {
        var out = ""
        for group in InstructionGroup.allCases {
            out += "\n#### \(group.title)\n\n"
            out += "| opcode | syntax | format: fields | cycles | semantics |\n"
            out += "|---|---|---|---|---|\n"
            for op in Opcode.allCases where op.spec.group == group {
                let spec = op.spec
                let fields = spec.operands.flatMap(\.fields).map(\.rawValue).joined(separator: " ")
                let layout = fields.isEmpty ? spec.format.rawValue : "\(spec.format.rawValue): \(fields)"
                let syntax = ([op.mnemonic] + [spec.operands.map(\.syntaxHint).joined(separator: ", ")])
                    .filter { !$0.isEmpty }.joined(separator: " ")
                out += "| `0x\(hex(UInt32(op.rawValue), digits: 2))` | `\(syntax)` | \(layout) | \(spec.timing.description) | \(escape(spec.summary)) |\n"
            }
        }
        return out
    }

    /// The ISA.md block including its markers.
    public static func block() -> String {
        beginMarker + "\n" + render() + "\n" + endMarker
    }

    private static func escape(_ text: String) -> String {
        String(text.flatMap { $0 == "|" ? ["\\", "|"] : [$0] })
    }
}
