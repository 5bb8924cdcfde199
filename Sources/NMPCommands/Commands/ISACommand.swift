import NMPAssembler
import NMPISA

/// `nmp isa`: the instruction table, as a terminal listing or as ISA.md's Markdown.
enum ISACommand: Command {
    static let name = "isa"
    static let summary = "list every instruction: opcode, syntax, cycle rule, semantics"
    static let help = """
        usage: nmp isa [--markdown]

        Prints the instruction table that drives the assembler, disassembler and encoder.

        options:
          --markdown    print the Markdown block that ISA.md embeds
          -h, --help    show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--markdown"], values: [])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        if args.flags.contains("--markdown") {
            console.out(InstructionTableMarkdown.block() + "\n")
            return ExitCode.success
        }
        let rows = Opcode.allCases.map { op in
            ["0x" + hex(UInt32(op.rawValue), digits: 2), Disassembler.usage(op), op.spec.timing.description, op.spec.summary]
        }
        console.out(Table(header: ["opcode", "syntax", "cycles", "semantics"], rows: rows).render())
        return ExitCode.success
    }
}
