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

    /// Parses and checks `text` against the machine's register counts and memory sizes.
    init(_ text: String, config: MachineConfig) throws(CommandError) {
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
        self = .memory(space, type: type, address: address, count: count)
    }

    /// A decimal or 0x-hex non-negative number.
    static func number(_ text: String) -> Int? {
        let value = text.hasPrefix("0x") || text.hasPrefix("0X") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        return value.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// The dump as text lines.
    func render(_ simulator: Simulator) -> String {
        switch self {
        case .scalars:
            let rows = (0..<16).map { i -> [String] in
                let bits = simulator.scalar(i)
                return ["r\(i)", "0x" + hex(bits, digits: 8), String(Int32(bitPattern: bits)), String(bits)]
            } + [["vl", "", String(simulator.vl), ""], ["pc", "", String(simulator.pc), ""]]
            return Table(header: ["register", "hex", "signed", "unsigned"], rows: rows).render()
        case .register(let file, let index):
            switch file {
            case "t": return "t\(index) = " + Self.trits(simulator.tritVector(index)) + "\n"
            case "m": return simulator.tritMatrix(index).enumerated().map { "m\(index)[\($0.offset)] = " + Self.trits($0.element) }
                .joined(separator: "\n") + "\n"
            case "v": return Self.lanes("v\(index)", simulator.int8Vector(index).map(Int.init))
            default: return Self.lanes("a\(index)", simulator.accumulator(index).map(Int.init))
            }
        case .memory(let space, let type, let address, let count):
            let bytes = simulator.read(space, at: address, count: count * type.size) ?? []
            if type == .bytes {
                return stride(from: 0, to: bytes.count, by: 16).map { offset in
                    "\(space.rawValue) 0x" + hex(UInt32(truncatingIfNeeded: address + offset), digits: 8) + ": "
                        + bytes[offset..<min(offset + 16, bytes.count)].map { hex(UInt32($0), digits: 2) }.joined(separator: " ")
                }.joined(separator: "\n") + "\n"
            }
            let values: [Int] = (0..<count).map { i in
                let b = Array(bytes[(i * type.size)..<((i + 1) * type.size)])
                let u32 = b.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
                return switch type {
                case .i8: Int(Int8(bitPattern: b[0]))
                case .u8: Int(b[0])
                case .i32: Int(Int32(bitPattern: u32))
                default: Int(u32)
                }
            }
            return stride(from: 0, to: values.count, by: 8).map { i in
                "\(space.rawValue).\(type.rawValue)[\(address + i * type.size)]: "
                    + values[i..<min(i + 8, values.count)].map(String.init).joined(separator: " ")
            }.joined(separator: "\n") + "\n"
        }
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
            if type == .bytes || type == .u8 {
                fields.append(("values", .array(bytes.map { .int(Int($0)) })))
            } else {
                fields.append(("values", .array((0..<count).map { i in
                    let b = bytes[(i * type.size)..<((i + 1) * type.size)]
                    let u32 = b.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
                    return .int(type == .i8 ? Int(Int8(bitPattern: b[b.startIndex])) : type == .i32 ? Int(Int32(bitPattern: u32)) : Int(u32))
                })))
            }
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
