/// Builds `.nasm` text line by line, with the idioms the compiler needs (32-bit constants,
/// labels) and a comment on the lines that say why.
struct AssemblyWriter {
    private(set) var lines: [String] = []
    private var labelCount = 0

    mutating func comment(_ text: String) { lines.append("; " + text) }
    mutating func blank() { lines.append("") }

    /// One instruction, with an optional trailing comment.
    mutating func emit(_ instruction: String, _ note: String? = nil) {
        let text = "        " + instruction
        if let note {
            lines.append(text.padding(toLength: max(text.count, 44), withPad: " ", startingAt: 0) + "; " + note)
        } else {
            lines.append(text)
        }
    }

    /// Loads a 32-bit constant: `addi` when it fits a signed 16-bit immediate, else `lui` and `ori`.
    mutating func load(_ register: String, _ value: UInt32, _ note: String? = nil) {
        let signed = Int32(bitPattern: value)
        if signed >= -32768 && signed <= 32767 {
            emit("addi  \(register), r0, \(signed)", note)
        } else {
            emit("lui   \(register), 0x\(String(value >> 16, radix: 16, uppercase: true))", note)
            if value & 0xFFFF != 0 { emit("ori   \(register), \(register), 0x\(String(value & 0xFFFF, radix: 16, uppercase: true))") }
        }
    }

    mutating func load(_ register: String, _ value: Int, _ note: String? = nil) {
        load(register, UInt32(truncatingIfNeeded: value), note)
    }

    /// A float32 constant as its bit pattern.
    mutating func load(_ register: String, float value: Float, _ note: String? = nil) {
        load(register, value.bitPattern, note ?? "\(value) as float32 bits")
    }

    /// A fresh label name.
    mutating func label(_ stem: String) -> String {
        labelCount += 1
        return "\(stem)_\(labelCount)"
    }

    mutating func place(_ label: String) { lines.append(label + ":") }

    var text: String { lines.joined(separator: "\n") + "\n" }
}
