// A JSON reader for the configuration file, stricter than Foundation's decoder and able to say
// where things are. RFC 8259 grammar exactly: no trailing commas, no comments, no leading zeros,
// no NaN; a number with a fraction is a `.number` (so `19101.0` is not an integer), exponents
// are refused (a configuration value is written out: `10000`, not `1e4`), and a key repeated in
// one object is an error instead of "first (or last) wins". Every key's line and column is
// recorded by its dotted path, so messages point at the place to edit. A syntax error ends the
// parse; repeated keys and exponents are collected and parsing goes on, so one run reports
// them all.

/// Parses configuration JSON with positions.
struct StrictJSONParser {
    /// A 1-based line and column (the column counts bytes).
    struct Position: Equatable, Sendable {
        var line: Int
        var column: Int
    }

    /// A problem found while parsing, at `position`.
    struct Problem: Error, Equatable {
        var position: Position
        var message: String
        /// The dotted path of the key concerned, "" when none.
        var key: String
    }

    /// The parsed document and what was found along the way.
    struct Result {
        var value: JSONValue
        /// Where each key was written: "listen", "listen.port", "routes[0].path".
        var positions: [String: Position]
        /// Repeated keys and exponents (the document is still complete).
        var problems: [Problem]
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var positions: [String: Position] = [:]
    private var problems: [Problem] = []
    private static let maxDepth = 64

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses `bytes`; throws the first syntax error.
    static func parse(_ bytes: [UInt8]) throws(Problem) -> Result {
        var parser = StrictJSONParser(bytes)
        parser.skipSpace()
        let value = try parser.value(path: "", depth: 0)
        parser.skipSpace()
        if parser.index < bytes.count { throw parser.problem("unexpected \(parser.describeCurrent()) after the top-level value") }
        return Result(value: value, positions: parser.positions, problems: parser.problems)
    }

    private var position: Position { Position(line: line, column: index - lineStart + 1) }

    private func problem(_ message: String, at position: Position? = nil, key: String = "") -> Problem {
        Problem(position: position ?? self.position, message: message, key: key)
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let byte = bytes[index]
        return byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func value(path: String, depth: Int) throws(Problem) -> JSONValue {
        guard depth < StrictJSONParser.maxDepth else { throw problem("nested deeper than \(StrictJSONParser.maxDepth) levels") }
        guard index < bytes.count else { throw problem("expected a value, found end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(path: path, depth: depth)
        case UInt8(ascii: "["): return try array(path: path, depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(path: path)
        default: throw problem("expected a value, found \(describeCurrent())")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Problem) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw problem("expected \(word), found end of file") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw problem("expected \(word), found \(describeCurrent())") }
        index += count
    }

    private mutating func object(path: String, depth: Int) throws(Problem) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        var first = true
        while true {
            skipSpace()
            guard index < bytes.count else { throw problem("unterminated object: expected '}' or a key, found end of file") }
            if bytes[index] == UInt8(ascii: "}") {
                if !first { throw problem("trailing comma before '}'") }
                index += 1
                return .object(members)
            }
            guard bytes[index] == UInt8(ascii: "\"") else { throw problem("expected a key in double quotes, found \(describeCurrent())") }
            let keyPosition = position
            let key = try string()
            let full = path.isEmpty ? key : path + "." + key
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw problem("expected ':' after key \"\(key)\", found \(describeCurrent())") }
            index += 1
            skipSpace()
            let member = try value(path: full, depth: depth + 1)
            if let earlier = positions[full], members[key] != nil {
                problems.append(problem("duplicate key \(full) (first at line \(earlier.line), column \(earlier.column)): a key may appear only once",
                                        at: keyPosition, key: full))
            } else {
                members[key] = member
                positions[full] = keyPosition
            }
            skipSpace()
            guard index < bytes.count else { throw problem("unterminated object: expected ',' or '}', found end of file") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                first = false
                skipSpace()
                if index < bytes.count && bytes[index] == UInt8(ascii: "}") { throw problem("trailing comma before '}'") }
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw problem("expected ',' or '}' after the value of \(full), found \(describeCurrent())") }
            index += 1
            return .object(members)
        }
    }

    private mutating func array(path: String, depth: Int) throws(Problem) -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipSpace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipSpace()
            let elementPath = "\(path)[\(elements.count)]"
            positions[elementPath] = position
            elements.append(try value(path: elementPath, depth: depth + 1))
            skipSpace()
            guard index < bytes.count else { throw problem("unterminated array: expected ',' or ']', found end of file") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipSpace()
                if index < bytes.count && bytes[index] == UInt8(ascii: "]") { throw problem("trailing comma before ']'") }
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw problem("expected ',' or ']' in an array, found \(describeCurrent())") }
            index += 1
            return .array(elements)
        }
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?`, and an exponent is reported (then read, to go on).
    private mutating func number(path: String) throws(Problem) -> JSONValue {
        let start = index
        let startPosition = position
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw problem("expected a digit, found \(describeCurrent())") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count && isDigit(bytes[index]) { throw problem("a number cannot start with 0 (leading zeros are not JSON)") }
        } else {
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        var fraction = false
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw problem("expected a digit after '.', found \(describeCurrent())") }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            fraction = true
        }
        let mantissaEnd = index
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw problem("expected a digit in the exponent, found \(describeCurrent())") }
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            let written = String(decoding: bytes[start..<index], as: UTF8.self)
            problems.append(problem("number \(written)\(path.isEmpty ? "" : " for \(path)") has an exponent: write it out in full (e.g. 10000, not 1e4)",
                                    at: startPosition, key: path))
            return .number(Double(written) ?? 0)
        }
        let text = String(decoding: bytes[start..<mantissaEnd], as: UTF8.self)
        if fraction { return .number(Double(text) ?? 0) }
        guard let integer = Int(text) else { throw problem("integer \(text) is out of range", at: startPosition, key: path) }
        return .integer(integer)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A string literal; the opening quote is at `index`.
    private mutating func string() throws(Problem) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw problem("unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw problem("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw problem("unterminated string") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out += Array(String(try unicodeEscape()).utf8)
                default: throw problem("invalid escape \\\(Character(Unicode.Scalar(escaped))) in a string")
                }
            case 0..<0x20:
                throw problem("a control character (0x\(String(byte, radix: 16))) must be escaped in a string")
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    /// The scalar of `\uXXXX` (a surrogate pair as two escapes); `index` is after the `u`.
    private mutating func unicodeEscape() throws(Problem) -> Character {
        let high = try hex4()
        if (0xD800..<0xDC00).contains(high) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw problem("a high surrogate \\u\(String(high, radix: 16)) must be followed by a low one")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                throw problem("invalid surrogate pair in a string")
            }
            return Character(scalar)
        }
        guard let scalar = Unicode.Scalar(high) else { throw problem("a lone low surrogate \\u\(String(high, radix: 16)) in a string") }
        return Character(scalar)
    }

    private mutating func hex4() throws(Problem) -> UInt32 {
        guard index + 4 <= bytes.count else { throw problem("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else { throw problem("\\u needs four hex digits") }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }
}
