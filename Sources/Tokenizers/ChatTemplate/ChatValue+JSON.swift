/// Reads JSON text into a `ChatValue`, keeping the order of object keys (Foundation's
/// `JSONSerialization` returns dictionaries, whose order is lost on Linux).
extension ChatValue {
    public init(json text: String) throws {
        var p = ChatJSONParser(bytes: Array(text.utf8))
        p.skipSpace()
        self = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.error("unexpected text after the value") }
    }
}

/// Why a JSON text could not be read; `offset` is the byte position of the problem.
public struct ChatJSONError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

private struct ChatJSONParser {
    let bytes: [UInt8]
    var i = 0
    /// Deeper nesting than any schema needs is refused rather than allowed to exhaust the stack.
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ reason: String) -> ChatJSONError { ChatJSONError(reason: reason, offset: i) }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func literal(_ word: String, _ v: ChatValue) throws -> ChatValue {
        let w = Array(word.utf8)
        guard bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w else { throw error("expected \(word)") }
        i += w.count
        return v
    }

    mutating func value(depth: Int) throws -> ChatValue {
        guard depth < ChatJSONParser.maxDepth else { throw error("nested deeper than \(ChatJSONParser.maxDepth)") }
        guard i < bytes.count else { throw error("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var items: [ChatValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if try separator(closing: "]") { return .array(items) }
            }
        case UInt8(ascii: "{"):
            i += 1
            var members: [ChatValue.Member] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                i += 1
                skipSpace()
                members.append(.init(key, try value(depth: depth + 1)))
                skipSpace()
                if try separator(closing: "}") { return .object(members) }
            }
        default:
            return try number()
        }
    }

    /// Consumes `,` (false: more follows) or the closing bracket (true).
    mutating func separator(closing: Unicode.Scalar) throws -> Bool {
        guard i < bytes.count else { throw error("unexpected end") }
        if bytes[i] == UInt8(ascii: ",") { i += 1; return false }
        if bytes[i] == UInt8(closing.value) { i += 1; return true }
        throw error("expected ',' or '\(closing)'")
    }

    mutating func number() throws -> ChatValue {
        let start = i
        var isInteger = true
        while i < bytes.count, let c = Optional(bytes[i]),
              (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isInteger = false }
            i += 1
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let n = Int(text) { return .int(n) }
        // Python's json reads an integer too large for 64 bits exactly; a double is the closest here.
        guard !text.isEmpty, let d = Double(text) else { i = start; throw error("expected a value") }
        return .double(d)
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw error("unterminated string") }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw error("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), bytes.count - i >= 6,
                       bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    // A lone surrogate has no UTF-8 form; it becomes U+FFFD.
                    out.append(contentsOf: String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                default:
                    throw error("unknown escape")
                }
            default:
                guard c >= 0x20 else { throw error("control character in a string") }
                out.append(c)
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw error("expected four hex digits after \\u")
        }
        i += 4
        return v
    }
}
