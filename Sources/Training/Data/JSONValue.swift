import Foundation

/// A parsed JSON value, keeping `true` apart from `1` so a label written as a boolean is reported
/// instead of read as 1.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses one JSON text (`JSONSerialization`, about four times faster here than
    /// `JSONDecoder` into an enum; it also bounds nesting depth). Nil when it is not JSON.
    public init?(parsing data: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let value = JSONValue(foundation: object) else { return nil }
        self = value
    }

    /// Converts what `JSONSerialization` returns. Booleans arrive as `NSNumber`s too; their
    /// Objective-C type code ("c") tells them apart from integers ("q", "i") and doubles ("d").
    init?(foundation object: Any) {
        switch object {
        case is NSNull:
            self = .null
        case let s as String:
            self = .string(s)
        case let n as NSNumber:
            let code = String(cString: n.objCType)
            if code == "c" || code == "B" {
                self = .bool(n.boolValue)
            } else if code == "d" || code == "f" {
                self = .number(n.doubleValue)
            } else if code == "Q" {
                // Unsigned: only integers above Int64.max are stored this way.
                if let i = Int(exactly: n.uint64Value) { self = .integer(i) } else { self = .number(n.doubleValue) }
            } else {
                self = .integer(n.intValue)
            }
        case let a as [Any]:
            var items: [JSONValue] = []
            items.reserveCapacity(a.count)
            for element in a {
                guard let v = JSONValue(foundation: element) else { return nil }
                items.append(v)
            }
            self = .array(items)
        case let o as [String: Any]:
            var fields: [String: JSONValue] = [:]
            fields.reserveCapacity(o.count)
            for (k, element) in o {
                guard let v = JSONValue(foundation: element) else { return nil }
                fields[k] = v
            }
            self = .object(fields)
        default:
            return nil
        }
    }

    /// The JSON type's name, for error messages ("expected a string, found an array").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One JSON object read from a line of a JSONL file, with typed field access whose errors name
/// the file, the line and the field.
public struct JSONRecord: Sendable {
    public let path: String
    public let line: Int
    public let fields: [String: JSONValue]

    public init(path: String, line: Int, fields: [String: JSONValue]) {
        self.path = path
        self.line = line
        self.fields = fields
    }

    /// Whether the record has a field named `key` (of any type, null included).
    public func has(_ key: String) -> Bool { fields[key] != nil }

    /// The string field `key`; throws when it is missing or not a string.
    public func string(_ key: String) throws -> String {
        guard let value = fields[key] else { throw missing(key) }
        guard case .string(let s) = value else {
            throw error("field \"\(key)\" should be a string, found \(value.typeName)")
        }
        return s
    }

    /// A class label or a score: a string, or a number (an integer kept as its decimal text).
    public func label(_ key: String) throws -> String {
        guard let value = fields[key] else { throw missing(key) }
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: return String(Int(d))
        // A score (STS-B-style regression targets), in Swift's shortest exact form.
        case .number(let d) where d.isFinite: return String(d)
        default:
            throw error("field \"\(key)\" should be a label (a string or a number), found \(value.typeName)")
        }
    }

    /// A chat conversation: an array of `{"role": ..., "content": ...}` objects.
    public func chat(_ key: String) throws -> [ChatTurn] {
        guard let value = fields[key] else { throw missing(key) }
        guard case .array(let items) = value else {
            throw error("field \"\(key)\" should be an array of messages, found \(value.typeName)")
        }
        if items.isEmpty { throw error("field \"\(key)\" holds no messages") }
        return try items.enumerated().map { (i, item) in
            guard case .object(let message) = item else {
                throw error("message \(i) of \"\(key)\" should be an object, found \(item.typeName)")
            }
            guard case .string(let role)? = message["role"] else {
                throw error("message \(i) of \"\(key)\" needs a string \"role\"")
            }
            guard case .string(let content)? = message["content"] else {
                throw error("message \(i) of \"\(key)\" needs a string \"content\"")
            }
            return ChatTurn(role: role, content: content)
        }
    }

    /// An error about this record, naming its file and line.
    public func error(_ problem: String) -> DataError {
        DataError(path: path, line: line, problem)
    }

    private func missing(_ key: String) -> DataError {
        let present = fields.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        return error("missing field \"\(key)\" (the record has \(present.isEmpty ? "no fields" : present))")
    }
}

/// Reads JSON Lines files: one JSON object per non-blank line.
public enum JSONLinesFile {
    /// Every record of the file at `url`. Throws `DataError` naming the line when a line is not
    /// JSON or not a JSON object.
    public static func read(_ url: URL) throws -> [JSONRecord] {
        let lines = try TextLines.read(url)
        return try lines.map { line in
            guard let value = JSONValue(parsing: Data(line.text.utf8)) else {
                throw DataError(url, line: line.number, "not valid JSON")
            }
            guard case .object(let fields) = value else {
                throw DataError(url, line: line.number,
                                "expected a JSON object, found \(value.typeName)")
            }
            return JSONRecord(path: url.path, line: line.number, fields: fields)
        }
    }
}
