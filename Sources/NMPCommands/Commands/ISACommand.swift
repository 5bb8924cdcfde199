import Foundation
import NMPAssembler
import NMPISA

/// `nmp isa`: the instruction table, as a terminal listing or as ISA.md's Markdown.
enum ISACommand: Command {
    static let name = "isa"
    static let summary = "list every instruction: opcode, syntax, cycle rule, semantics"
    static let help = """
        usage: nmp isa [--markdown | --json]

        Prints the instruction table that drives the assembler, disassembler and encoder.

        options:
          --markdown    print the Markdown block that ISA.md embeds
          --json        print the table as a JSON array, one object per opcode:
                        mnemonic, opcode, format, fields, syntax, group, cycles, events,
                        semantics
          -h, --help    show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--markdown", "--json"], values: [])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        if args.flags.contains("--markdown") {
            console.out(InstructionTableMarkdown.block() + "\n")
            return ExitCode.success
        }
        if args.flags.contains("--json") {
            console.out(json() + "\n")
            return ExitCode.success
        }
        let rows = Opcode.allCases.map { op in
            ["0x" + hex(UInt32(op.rawValue), digits: 2), Disassembler.usage(op), op.spec.timing.description, op.spec.summary]
        }
        console.out(Table(header: ["opcode", "syntax", "cycles", "semantics"], rows: rows).render())
        return ExitCode.success
    }

    private struct Entry: Encodable {
        var mnemonic: String
        var opcode: Int
        var format: String
        var fields: [String]
        var syntax: String
        var group: String
        var cycles: String
        var events: [String]
        var semantics: String
    }

    private static func json() -> String {
        let entries = Opcode.allCases.map { op in
            Entry(mnemonic: op.mnemonic, opcode: Int(op.rawValue), format: op.spec.format.rawValue,
                  fields: op.spec.operands.flatMap(\.fields).map(\.rawValue), syntax: Disassembler.usage(op),
                  group: op.spec.group.rawValue, cycles: op.spec.timing.description,
                  events: op.spec.events.map(\.rawValue), semantics: op.spec.summary)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(entries)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
