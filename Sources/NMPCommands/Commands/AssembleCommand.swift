import NMPAssembler

/// `nmp asm`: `.nasm` source to `.nmc` image.
enum AssembleCommand: Command {
    static let name = "asm"
    static let summary = "assemble a .nasm microprogram into a .nmc microcode image"
    static let help = """
        usage: nmp asm <file.nasm> [-o <file.nmc>] [--werror]

        Assembles the program and writes the image (default: the input path with .nmc).
        Errors and warnings are printed like a compiler's, all of them in one run; no
        image is written when there is an error.

        options:
          -o, --output <file>   where to write the image
          --werror              treat warnings as errors
          -h, --help            show this help

        exit status: 0 assembled, 1 errors in the program or unreadable/unwritable files,
        2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--werror"], values: [["--output", "-o"]])
        let input = try args.single("input file (.nasm)")
        let output = args.values["--output"] ?? Files.replacingExtension(of: input, with: "nmc")
        let bytes = try Files.read(input)
        try Files.checkOutputs([("--output", output)], inputs: [("source file", input)])
        let result = Assembler.assemble(bytes: bytes, fileName: input)
        if !result.diagnostics.isEmpty { console.err(result.renderedDiagnostics) }
        let warned = result.diagnostics.contains { $0.severity == .warning }
        guard let image = result.image, !(warned && args.flags.contains("--werror")) else {
            return ExitCode.failure
        }
        try Files.writeAtomically(image.encoded(), to: output)
        return ExitCode.success
    }
}
