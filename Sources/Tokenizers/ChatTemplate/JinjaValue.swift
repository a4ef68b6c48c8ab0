import Foundation

/// A value of the Jinja subset chat templates use, with Python's semantics for truthiness,
/// equality and printing (templates are written against Jinja2 running on Python).
indirect enum JinjaValue {
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    case namespace(JinjaNamespace)

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .object(o): return !o.keys.isEmpty
        case .namespace: return true
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// Python's `str()`.
    var text: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return JinjaValue.pythonFloat(d)
        case let .string(s): return s
        case .array, .object, .namespace: return repr
        }
    }

    /// Python's `repr()`, for lists and dicts printed whole.
    var repr: String {
        switch self {
        case let .string(s):
            let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = String(quote)
            for u in s.unicodeScalars {
                switch u {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default:
                    if Character(u) == quote { out += "\\" + String(quote) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + String(quote)
        case let .array(a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case let .object(o): return "{" + o.keys.map { "'\($0)': \(o.values[$0]?.repr ?? "None")" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        default: return text
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// Python's `==` (numbers compare across int and float).
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x), .object(y)):
            return x.keys.count == y.keys.count && x.keys.allSatisfy { k in
                guard let l = x.values[k], let r = y.values[k] else { return false }
                return equal(l, r)
            }
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "namespace"
        }
    }
}

/// A dict that keeps insertion order, as Python's does.
struct JinjaObject {
    private(set) var keys: [String] = []
    private(set) var values: [String: JinjaValue] = [:]

    init() {}
    init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }
}

/// Jinja's `namespace()`: the one mutable object, so that loops can carry state out.
final class JinjaNamespace {
    var values: [String: JinjaValue] = [:]
}
