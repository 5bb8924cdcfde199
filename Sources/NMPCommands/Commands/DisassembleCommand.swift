import NMPAssembler
import NMPISA

/// `nmp disasm`: `.nmc` image back to `.nasm` text.
enum DisassembleCommand: Command {
    static let name = "disasm"
    static let summary = "print a .nmc image as .nasm source that reassembles to the same bytes"
    static let help = """
        usage: nmp disasm <file.nmc> [-o <file.nasm>]

        Checks the image (magic, version, checksum, section bounds, symbols) and prints it
        as assembly source. Assembling that source gives a byte-identical image.

        options:
          -o, --output <file>   write the source to a file instead of standard output
          -h, --help            show this help

        exit status: 0 done, 1 unreadable or corrupt image, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: [], values: [["--output", "-o"]])
        let input = try args.single("input file (.nmc)")
        if let output = args.values["--output"] { try Files.checkOutputs([("--output", output)], inputs: [("image file", input)]) }
        let image: MicrocodeImage
        do {
            image = try MicrocodeImage(decoding: try Files.read(input))
        } catch let error as ImageError {
            throw .failure("\(input): \(error)")
        } catch let error as CommandError {
            throw error
        } catch {
            throw .failure("\(input): \(error)")
        }
        // The text goes out a piece at a time: a large image is never one string in memory.
        if let output = args.values["--output"] {
            let file = try OutputFile(output)
            try Disassembler.disassemble(image, name: input) { (text: String) throws(CommandError) in try file.write(text) }
            try file.commit()
        } else {
            Disassembler.disassemble(image, name: input) { console.out($0) }
        }
        return ExitCode.success
    }
}
