/// A JSON value handed to a chat template: a tool's schema, a tool call's arguments. Objects keep
/// their keys in the order written, as Python dicts do, because templates print them with
/// `tojson` and the prompt must be byte-identical to Transformers'.
public indirect enum ChatValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ChatValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: ChatValue
        public init(_ key: String, _ value: ChatValue) { self.key = key; self.value = value }
    }

    /// The member named `key` of an object (the last one if a key repeats, as Python's `json`).
    public subscript(key: String) -> ChatValue? {
        guard case let .object(members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The template language's view of the value.
    var jinja: JinjaValue {
        switch self {
        case .null: return .none
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .double(d): return .double(d)
        case let .string(s): return .string(s)
        case let .array(a): return .array(a.map(\.jinja))
        case let .object(members): return .object(JinjaObject(members.map { ($0.key, $0.value.jinja) }))
        }
    }
}

/// One function call of an assistant turn, as Transformers' message format writes it:
/// `{"type": "function", "function": {"name": ..., "arguments": {...}}}`.
public struct ChatToolCall: Sendable, Equatable {
    public var name: String
    public var arguments: ChatValue
    public init(name: String, arguments: ChatValue) { self.name = name; self.arguments = arguments }

    var jinja: JinjaValue {
        .object(JinjaObject([
            ("type", .string("function")),
            ("function", .object(JinjaObject([("name", .string(name)), ("arguments", arguments.jinja)]))),
        ]))
    }
}
