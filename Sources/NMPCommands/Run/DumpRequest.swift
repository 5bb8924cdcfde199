import NMPISA
import NMPSimulator

/// One `--dump WHAT` request: registers, one vector/matrix register, or a memory range.
enum DumpRequest: Equatable {
    /// r0-r15, vl and pc.
    case scalars
    /// One register of a vector or matrix file, e.g. `a3`, `m0`.
    case register(file: Character, index: Int)
    /// `count` elements of `type` at byte `address` of a memory.
    case memory(MemorySpace, type: ElementType, address: Int, count: Int)

    enum ElementType: String, CaseIterable {
        case bytes = "", i8, u8, i32, u32
        var size: Int { self == .i32 || self == .u32 ? 4 : 1 }
    }

    static let syntax = """
        --dump regs                     scalar registers r0-r15, vl and pc
        --dump t0 | m0 | v0 | a0        one trit, trit-matrix, int8 or accumulator register
        --dump asram:START:COUNT        hex dump of COUNT bytes (also wsram, dram)
        --dump asram.i32:START:COUNT    COUNT typed values (i8, u8, i32, u32)
        """

    /// The most values one dump may put in a `--json` report (a JSON array of numbers takes
    /// several bytes per value in the report and far more while it is built).
    static let maxJSONValues = 1 << 20

    /// Parses and checks `text` against the machine's register counts and memory sizes;
    /// with `json`, also against `maxJSONValues`.
    init(_ text: String, config: MachineConfig, json: Bool = false) throws(CommandError) {
        func fail(_ why: String) -> CommandError { .failure("--dump '\(text)': \(why)") }
        if text == "regs" || text == "scalars" {
            self = .scalars
            return
        }
        let counts: [Character: Int] = ["t": 8, "m": 4, "v": 8, "a": 8]
        if let file = text.first, let count = counts[file], let index = Int(text.dropFirst()) {
            guard (0..<count).contains(index) else { throw fail("there is no register \(text) (\(file)0-\(file)\(count - 1))") }
            self = .register(file: file, index: index)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw fail("expected regs, a register (t0, m0, v0, a0) or SPACE[.TYPE]:START:COUNT, e.g. asram.i32:0x40:16")
        }
        let spaceAndType = parts[0].split(separator: ".", maxSplits: 1).map(String.init)
        let space: MemorySpace
        switch spaceAndType.first ?? "" {
        case "asram": space = .activationSRAM
        case "wsram": space = .weightSRAM
        case "dram": space = .dram
        default: throw fail("unknown memory '\(spaceAndType.first ?? "")' (asram, wsram or dram)")
        }
        let type: ElementType
        if spaceAndType.count == 2 {
            guard let parsed = ElementType(rawValue: spaceAndType[1]), parsed != .bytes else {
                throw fail("unknown element type '\(spaceAndType[1])' (i8, u8, i32 or u32)")
            }
            type = parsed
        } else {
            type = .bytes
        }
        guard let address = Self.number(parts[1]) else { throw fail("START '\(parts[1])' is not a number") }
        guard let count = Self.number(parts[2]), count > 0 else { throw fail("COUNT '\(parts[2])' is not a positive number") }
        let size = switch space {
        case .activationSRAM: config.activationSRAM.size
        case .weightSRAM: config.weightSRAM.size
        case .dram: config.dramSize
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, address <= size, bytes <= size - address else {
            throw fail("the range starting at \(address) does not fit in the \(size)-byte \(space.rawValue)")
        }
        if json && count > Self.maxJSONValues {
            throw fail("\(Format.count(count)) values are more than a --json report holds (at most \(Format.count(Self.maxJSONValues)) per dump); dump them as text, without --json, or in several ranges")
        }
        self = .memory(space, type: type, address: address, count: count)
    }

    /// A decimal or 0x-hex non-negative number.
    static func number(_ text: String) -> Int? {
        Arguments.integer(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// The dump as text lines.
    func render(_ simulator: Simulator) -> String {
        var text = ""
        render(simulator) { text += $0 }
        return text
    }

    /// The dump as text lines, handed to `write` a piece at a time: a memory dump is read
    /// and formatted 64 KiB at a time, so that its size is bounded by the memory, not by
    /// what the host can hold as one string.
    func render(_ simulator: Simulator, write: (String) -> Void) {
        switch self {
        case .scalars:
            let rows = (0..<16).map { i -> [String] in
                let bits = simulator.scalar(i)
                return ["r\(i)", "0x" + hex(bits, digits: 8), String(Int32(bitPattern: bits)), String(bits)]
            } + [["vl", "", String(simulator.vl), ""], ["pc", "", String(simulator.pc), ""]]
            write(Table(header: ["register", "hex", "signed", "unsigned"], rows: rows).render())
        case .register(let file, let index):
            switch file {
            case "t": write("t\(index) = " + Self.trits(simulator.tritVector(index)) + "\n")
            case "m": write(simulator.tritMatrix(index).enumerated().map { "m\(index)[\($0.offset)] = " + Self.trits($0.element) }
                .joined(separator: "\n") + "\n")
            case "v": write(Self.lanes("v\(index)", simulator.int8Vector(index).map(Int.init)))
            default: write(Self.lanes("a\(index)", simulator.accumulator(index).map(Int.init)))
            }
        case .memory(let space, let type, let address, let count):
            let chunk = 1 << 16   // bytes per piece: a multiple of 16 (a hex line) and of 32 (8 words)
            var offset = 0
            while offset < count * type.size {
                let n = min(chunk, count * type.size - offset)
                let bytes = simulator.read(space, at: address + offset, count: n) ?? []
                write(Self.memoryLines(bytes, space: space, type: type, address: address + offset))
                offset += n
            }
        }
    }

    /// Text lines of `bytes` read at `address`: hex, 16 bytes a line, or typed values, 8 a line.
    private static func memoryLines(_ bytes: [UInt8], space: MemorySpace, type: ElementType, address: Int) -> String {
        if type == .bytes {
            return stride(from: 0, to: bytes.count, by: 16).map { offset in
                "\(space.rawValue) 0x" + hex(UInt32(truncatingIfNeeded: address + offset), digits: 8) + ": "
                    + bytes[offset..<min(offset + 16, bytes.count)].map { hex(UInt32($0), digits: 2) }.joined(separator: " ")
            }.joined(separator: "\n") + "\n"
        }
        let values = elementValues(bytes, type: type)
        return stride(from: 0, to: values.count, by: 8).map { i in
            "\(space.rawValue).\(type.rawValue)[\(address + i * type.size)]: "
                + values[i..<min(i + 8, values.count)].map(String.init).joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }

    /// The little-endian elements of `type` in `bytes`.
    private static func elementValues(_ bytes: [UInt8], type: ElementType) -> [Int] {
        stride(from: 0, to: bytes.count - type.size + 1, by: type.size).map { i in
            switch type {
            case .bytes, .u8: Int(bytes[i])
            case .i8: Int(Int8(bitPattern: bytes[i]))
            case .i32, .u32:
                type == .i32 ? Int(Int32(bitPattern: word(bytes, i))) : Int(word(bytes, i))
            }
        }
    }

    private static func word(_ bytes: [UInt8], _ i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    /// Structured form for `--json`.
    func json(_ simulator: Simulator, request: String) -> JSONValue {
        var fields: [(String, JSONValue)] = [("what", .string(request))]
        switch self {
        case .scalars:
            fields.append(("scalars", .array((0..<16).map { .int(Int(Int32(bitPattern: simulator.scalar($0)))) })))
            fields.append(("vl", .int(simulator.vl)))
            fields.append(("pc", .int(simulator.pc)))
        case .register(let file, let index):
            let lanes: JSONValue = switch file {
            case "t": .array(simulator.tritVector(index).map { .int(Int($0)) })
            case "m": .array(simulator.tritMatrix(index).map { .array($0.map { .int(Int($0)) }) })
            case "v": .array(simulator.int8Vector(index).map { .int(Int($0)) })
            default: .array(simulator.accumulator(index).map { .int(Int($0)) })
            }
            fields.append(("lanes", lanes))
        case .memory(let space, let type, let address, let count):
            let bytes = simulator.read(space, at: address, count: count * type.size) ?? []
            fields.append(("address", .int(address)))
            fields.append(("values", .array(Self.elementValues(bytes, type: type).map { .int($0) })))
        }
        return .object(fields)
    }

    private static func trits(_ values: [Int8]) -> String {
        String(values.map { $0 > 0 ? "+" : ($0 < 0 ? "-" : "0") })
    }

    private static func lanes(_ name: String, _ values: [Int]) -> String {
        stride(from: 0, to: values.count, by: 16).map { i in
            "\(name)[\(i)...]: " + values[i..<min(i + 16, values.count)].map(String.init).joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }
}
