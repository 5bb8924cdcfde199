import NMPISA

/// Turns source lines into statements, reporting syntax errors to the log. A line with
/// a syntax error yields no statement (but its labels are kept, so that one typo does
/// not also produce "undefined label" errors elsewhere).
struct Parser {
    /// Directives whose arguments are raw words rather than expressions.
    static let rawDirectives: Set<String> = [".trits", ".packing"]

    static func parse(_ file: SourceFile, log: inout DiagnosticLog) -> [Statement] {
        var statements: [Statement] = []
        for (offset, bytes) in file.lines.enumerated() where !log.isFull {
            var parser = Parser(line: offset + 1, bytes: bytes)
            if let statement = parser.parseLine(log: &log) { statements.append(statement) }
        }
        return statements
    }

    let line: Int
    let bytes: [UInt8]
    private var tokens: [Token] = []
    private var position = 0
    /// Terms and operators in the expression being parsed. Parsing and evaluation recurse
    /// over the tree, so its size is bounded to keep hostile input from exhausting the stack.
    private var expressionNodes = 0
    static let maxExpressionNodes = 256

    private init(line: Int, bytes: [UInt8]) {
        self.line = line
        self.bytes = bytes
    }

    private struct SyntaxError: Error {
        var message: String
        var location: SourceLocation
        var notes: [Diagnostic.Note] = []
    }

    private mutating func parseLine(log: inout DiagnosticLog) -> Statement? {
        var lexer = Lexer(bytes: bytes, line: line)
        let (lexed, lexError) = lexer.tokenize()
        tokens = lexed
        var statement = Statement(line: line, labels: [], body: nil)
        // Labels first, so that they survive an error later on the line.
        while case .identifier(let name)? = peek?.kind, position + 1 < tokens.count, tokens[position + 1].isSymbol(":") {
            statement.labels.append((name, tokens[position].location(line: line)))
            position += 2
        }
        // Raw directives read their own text, so a lexing error after their name is theirs
        // to judge (".packing 2bit" is not a malformed number).
        let raw = if case .directive(let name)? = peek?.kind { Parser.rawDirectives.contains(name) } else { false }
        if let (message, location) = lexError, !raw {
            log.error(message, at: location)
            return statement.labels.isEmpty ? nil : statement
        }
        do {
            statement.body = try parseBody()
        } catch {
            log.error(error.message, at: error.location, notes: error.notes)
            statement.body = nil
        }
        return statement.labels.isEmpty && statement.body == nil ? nil : statement
    }

    private var peek: Token? { position < tokens.count ? tokens[position] : nil }

    private var endLocation: SourceLocation {
        SourceLocation(line: line, column: (tokens.last?.end ?? 0) + 1)
    }

    private mutating func parseBody() throws(SyntaxError) -> Statement.Body? {
        guard let head = peek else { return nil }
        position += 1
        let location = head.location(line: line)
        switch head.kind {
        case .identifier(let mnemonic):
            if position < tokens.count, tokens[position].isSymbol(":") {
                throw SyntaxError(message: "a label must come before the instruction on its line", location: location)
            }
            return .instruction(mnemonic: mnemonic, location: location, operands: try parseOperands())
        case .directive(let name) where Parser.rawDirectives.contains(name):
            return .rawDirective(name: name, location: location, text: RawText(line: line, start: head.end, end: Lexer.codeEnd(of: bytes)))
        case .directive(let name):
            guard name != "." else {
                throw SyntaxError(message: "expected an instruction or directive, found '.'", location: location)
            }
            return .directive(name: name, location: location, arguments: try parseOperands())
        case .symbol(":"):
            throw SyntaxError(message: "expected a label name before ':'", location: location)
        default:
            throw SyntaxError(message: "expected an instruction, directive or label at the start of the statement",
                              location: location)
        }
    }

    /// The whitespace- or comma-separated words after a raw directive, up to a comment.
    private mutating func parseOperands() throws(SyntaxError) -> [Operand] {
        var operands: [Operand] = []
        guard peek != nil else { return operands }
        while true {
            operands.append(try parseOperand())
            guard let next = peek else { return operands }
            guard next.isSymbol(",") else {
                throw SyntaxError(message: "expected ',' between operands", location: next.location(line: line))
            }
            position += 1
            if peek == nil { throw SyntaxError(message: "expected an operand after ','", location: endLocation) }
        }
    }

    private mutating func parseOperand() throws(SyntaxError) -> Operand {
        expressionNodes = 0  // the bound is per operand
        guard let token = peek else { throw SyntaxError(message: "expected an operand", location: endLocation) }
        switch token.kind {
        case .identifier(let name):
            if let (cls, index) = parseRegisterName(name) {
                position += 1
                if let next = peek, case .symbol(let op) = next.kind, Parser.precedence[op] != nil {
                    throw SyntaxError(message: "register \(name) cannot be used in an expression", location: token.location(line: line))
                }
                return .register(cls, index: index, token.location(line: line))
            }
        case .string(let bytes):
            position += 1
            return .string(bytes, token.location(line: line))
        case .symbol("["):
            return try parseMemory()
        default:
            break
        }
        return .expression(try parseExpression())
    }

    private mutating func parseMemory() throws(SyntaxError) -> Operand {
        let open = tokens[position]
        position += 1
        guard let baseToken = peek, case .identifier(let name) = baseToken.kind,
              let (cls, index) = parseRegisterName(name) else {
            throw SyntaxError(message: "expected a base register after '[' (as in [r2 + 16])",
                              location: peek?.location(line: line) ?? endLocation)
        }
        let baseLocation = baseToken.location(line: line)
        guard cls == .scalar else {
            throw SyntaxError(message: "the base of a memory operand must be a scalar register, not \(cls.noun) \(name)",
                              location: baseLocation)
        }
        position += 1
        var offset: Expression?
        if let sign = peek, sign.isSymbol("+") || sign.isSymbol("-") {
            // The sign starts the offset expression, so [r1 - 4 + 2] means r1 + (-4 + 2).
            if sign.isSymbol("+") { position += 1 }
            offset = try parseExpression()
        }
        guard let close = peek, close.isSymbol("]") else {
            throw SyntaxError(message: "expected ']' to close the memory operand (write [rN + offset])",
                              location: peek?.location(line: line) ?? endLocation,
                              notes: [.init("'[' opened here", at: open.location(line: line))])
        }
        position += 1
        return .memory(base: index, baseLocation: baseLocation, offset: offset,
                       open.location(line: line).through(close.location(line: line)))
    }

    // MARK: expressions (precedence climbing, C order)

    private static let precedence: [String: Int] = ["|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6]

    private mutating func countNode(_ location: SourceLocation) throws(SyntaxError) {
        expressionNodes += 1
        guard expressionNodes <= Parser.maxExpressionNodes else {
            throw SyntaxError(message: "expression is too large (more than \(Parser.maxExpressionNodes) terms and operators)",
                              location: location)
        }
    }

    private mutating func parseExpression(minimum: Int = 1) throws(SyntaxError) -> Expression {
        var lhs = try parseUnary()
        while let token = peek, case .symbol(let op) = token.kind, let p = Parser.precedence[op], p >= minimum {
            position += 1
            try countNode(token.location(line: line))
            let rhs = try parseExpression(minimum: p + 1)
            lhs = .binary(op, lhs, rhs, lhs.location.through(rhs.location))
        }
        return lhs
    }

    private mutating func parseUnary() throws(SyntaxError) -> Expression {
        guard let token = peek else { throw SyntaxError(message: "expected an expression", location: endLocation) }
        let location = token.location(line: line)
        position += 1
        try countNode(location)
        switch token.kind {
        case .integer(let v): return .number(v, location)
        case .directive("."): return .here(location)
        case .identifier(let name):
            if parseRegisterName(name) != nil {
                throw SyntaxError(message: "register \(name) cannot be used in an expression", location: location)
            }
            return .symbol(name, location)
        case .symbol(let op) where op == "-" || op == "+" || op == "~":
            let inner = try parseUnary()
            return .unary(op, inner, location.through(inner.location))
        case .symbol("("):
            let inner = try parseExpression()
            guard let close = peek, close.isSymbol(")") else {
                throw SyntaxError(message: "expected ')'", location: peek?.location(line: line) ?? endLocation,
                                  notes: [.init("'(' opened here", at: location)])
            }
            position += 1
            return inner
        case .string:
            throw SyntaxError(message: "a string cannot be used in an expression", location: location)
        case .directive(let name):
            throw SyntaxError(message: "unexpected directive '\(name)' in an expression", location: location)
        case .symbol(let s):
            throw SyntaxError(message: "expected an expression, found '\(s)'", location: location)
        }
    }
}
