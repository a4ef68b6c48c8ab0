import Foundation

/// Evaluates a parsed template. Variables live in a stack of scopes: a loop body gets its own
/// scope per iteration, so `set` inside a loop does not leak out (Jinja's rule; templates carry
/// state out of loops with `namespace()`).
struct JinjaRenderer {
    private var scopes: [[String: JinjaValue]]
    private var output = ""
    /// Guards against templates that would loop or nest without bound.
    private var steps = 0
    private static let maxSteps = 5_000_000

    init(context: [String: JinjaValue]) { scopes = [context] }

    static func render(_ nodes: [JinjaNode], context: [String: JinjaValue]) throws -> String {
        var r = JinjaRenderer(context: context)
        try r.run(nodes)
        return r.output
    }

    private func error(_ m: String) -> ChatTemplateError { .render(m) }

    private func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() { if let v = scope[name] { return v } }
        return .undefined(name)
    }

    private mutating func assign(_ name: String, _ v: JinjaValue) { scopes[scopes.count - 1][name] = v }

    private mutating func run(_ nodes: [JinjaNode]) throws {
        for node in nodes {
            steps += 1
            guard steps < JinjaRenderer.maxSteps else { throw error("template does too much work") }
            switch node {
            case let .text(s): output += s
            case let .output(e): output += try eval(e).text
            case let .branches(branches, otherwise):
                var done = false
                for (cond, body) in branches where try eval(cond).isTruthy {
                    try run(body)
                    done = true
                    break
                }
                if !done { try run(otherwise) }
            case let .loop(targets, over, condition, body, otherwise):
                var items: [JinjaValue]
                switch try eval(over) {
                case let .array(a): items = a
                case let .object(o): items = o.keys.map { .string($0) }
                case let .string(s): items = s.unicodeScalars.map { .string(String($0)) }
                case .undefined, .none: items = []
                case let other: throw error("cannot loop over a \(other.typeName)")
                }
                if let condition {
                    items = try items.filter { item in
                        scopes.append([:])
                        defer { scopes.removeLast() }
                        try bind(targets, item)
                        return try eval(condition).isTruthy
                    }
                }
                if items.isEmpty { try run(otherwise); continue }
                for (k, item) in items.enumerated() {
                    let n = items.count
                    let loop = JinjaObject([
                        ("index", .int(k + 1)), ("index0", .int(k)), ("revindex", .int(n - k)), ("revindex0", .int(n - k - 1)),
                        ("first", .bool(k == 0)), ("last", .bool(k == n - 1)), ("length", .int(n)),
                        ("previtem", k > 0 ? items[k - 1] : .undefined("previtem")),
                        ("nextitem", k + 1 < n ? items[k + 1] : .undefined("nextitem")),
                    ])
                    scopes.append(["loop": .object(loop)])
                    defer { scopes.removeLast() }
                    try bind(targets, item)
                    try run(body)
                }
            case let .set(name, attribute, e):
                let v = try eval(e)
                if let attribute {
                    guard case let .namespace(ns) = lookup(name) else { throw error("cannot set an attribute of '\(name)', which is not a namespace") }
                    ns.values[attribute] = v
                } else {
                    assign(name, v)
                }
            case let .setBlock(name, body):
                let saved = output
                output = ""
                try run(body)
                let captured = output
                output = saved
                assign(name, .string(captured))
            }
        }
    }

    private mutating func bind(_ targets: [String], _ item: JinjaValue) throws {
        if targets.count == 1 { assign(targets[0], item); return }
        guard case let .array(parts) = item, parts.count == targets.count else {
            throw error("cannot unpack \(item.typeName) into \(targets.count) names")
        }
        for (t, v) in zip(targets, parts) { assign(t, v) }
    }

    // MARK: Expressions

    private mutating func eval(_ e: JinjaExpr) throws -> JinjaValue {
        switch e {
        case let .literal(v): return v
        case let .name(n): return lookup(n)
        case let .list(items): return .array(try items.map { try eval($0) })
        case let .dict(pairs):
            var o = JinjaObject()
            for (k, v) in pairs { o[try eval(k).text] = try eval(v) }
            return .object(o)
        case let .attribute(base, name):
            return try member(try eval(base), .string(name))
        case let .item(base, index):
            return try member(try eval(base), try eval(index))
        case let .slice(base, a, b, c):
            let v = try eval(base)
            let step = try c.map { try eval($0) }.flatMap(\.number).map { Int($0) } ?? 1
            guard step != 0 else { throw error("slice step cannot be zero") }
            func idx(_ x: JinjaExpr?) throws -> Int? { try x.map { try eval($0) }.flatMap(\.number).map { Int($0) } }
            let start = try idx(a), stop = try idx(b)
            switch v {
            case let .array(arr): return .array(JinjaRenderer.slice(arr, start, stop, step))
            case let .string(s):
                return .string(String(scalars: JinjaRenderer.slice(Array(s.unicodeScalars), start, stop, step)))
            default: throw error("cannot slice a \(v.typeName)")
            }
        case let .call(callee, args, kwargs):
            return try call(callee, args, kwargs)
        case let .filter(base, name, args, kwargs):
            return try filter(try eval(base), name, try args.map { try eval($0) }, try kwargs.map { ($0.0, try eval($0.1)) })
        case let .test(base, name, args, negated):
            let r = try test(try eval(base), name, try args.map { try eval($0) })
            return .bool(negated ? !r : r)
        case let .not(x): return .bool(!(try eval(x).isTruthy))
        case let .negate(x):
            switch try eval(x) {
            case let .int(i): return .int(-i)
            case let .double(d): return .double(-d)
            case let v: throw error("cannot negate a \(v.typeName)")
            }
        case let .and(a, b):
            let l = try eval(a)
            return l.isTruthy ? try eval(b) : l
        case let .or(a, b):
            let l = try eval(a)
            return l.isTruthy ? l : try eval(b)
        case let .conditional(cond, then, otherwise):
            if try eval(cond).isTruthy { return try eval(then) }
            return try otherwise.map { try eval($0) } ?? .undefined("conditional")
        case let .binary(op, a, b):
            return try binary(op, try eval(a), try eval(b))
        }
    }

    static func slice<T>(_ a: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
        let n = a.count
        func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { max(lo, min(hi, i < 0 ? i + n : i)) }
        var out: [T] = []
        if step > 0 {
            var i = clamp(start ?? 0, 0, n)
            let end = clamp(stop ?? n, 0, n)
            while i < end { out.append(a[i]); i += step }
        } else {
            var i = clamp(start ?? n - 1, -1, n - 1)
            let end = stop.map { clamp($0, -1, n - 1) } ?? -1
            while i > end { out.append(a[i]); i += step }
        }
        return out
    }

    private func member(_ v: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        switch (v, key) {
        case let (.object(o), k): return o[k.text] ?? .undefined(k.text)
        case let (.namespace(ns), k): return ns.values[k.text] ?? .undefined(k.text)
        case let (.array(a), .int(i)):
            let j = i < 0 ? i + a.count : i
            return a.indices.contains(j) ? a[j] : .undefined("index \(i)")
        case let (.string(s), .int(i)):
            let u = Array(s.unicodeScalars)
            let j = i < 0 ? i + u.count : i
            return u.indices.contains(j) ? .string(String(u[j])) : .undefined("index \(i)")
        case let (.undefined(name), k): throw error("'\(name)' is undefined (reading '\(k.text)')")
        default: return .undefined(key.text)
        }
    }

    private mutating func call(_ callee: JinjaExpr, _ argExprs: [JinjaExpr], _ kwargExprs: [(String, JinjaExpr)]) throws -> JinjaValue {
        let args = try argExprs.map { try eval($0) }
        let kwargs = try kwargExprs.map { ($0.0, try eval($0.1)) }
        if case let .name(fn) = callee {
            switch fn {
            case "raise_exception":
                throw error(args.first?.text ?? "raise_exception called")
            case "namespace":
                let ns = JinjaNamespace()
                for (k, v) in kwargs { ns.values[k] = v }
                return .namespace(ns)
            case "range":
                let nums = args.compactMap(\.number).map { Int($0) }
                guard nums.count == args.count, (1...3).contains(nums.count) else { throw error("range() takes 1 to 3 numbers") }
                let (a, b, s) = nums.count == 1 ? (0, nums[0], 1) : (nums[0], nums[1], nums.count == 3 ? nums[2] : 1)
                guard s != 0, abs((b - a) / s) < 1_000_000 else { throw error("range() too large") }
                return .array(Swift.stride(from: a, to: b, by: s).map { .int($0) })
            default:
                throw ChatTemplateError.unsupportedFeature("unknown function '\(fn)'")
            }
        }
        guard case let .attribute(baseExpr, method) = callee else { throw error("cannot call this expression") }
        let base = try eval(baseExpr)
        switch (base, method) {
        case let (.string(s), "strip"): return .string(JinjaRenderer.strip(s, args.first?.text, leading: true, trailing: true))
        case let (.string(s), "lstrip"): return .string(JinjaRenderer.strip(s, args.first?.text, leading: true, trailing: false))
        case let (.string(s), "rstrip"): return .string(JinjaRenderer.strip(s, args.first?.text, leading: false, trailing: true))
        case let (.string(s), "upper"): return .string(s.uppercased())
        case let (.string(s), "lower"): return .string(s.lowercased())
        case let (.string(s), "startswith"): return .bool(s.utf8.starts(with: (args.first?.text ?? "").utf8))
        case let (.string(s), "endswith"): return .bool(s.utf8.reversed().starts(with: (args.first?.text ?? "").utf8.reversed()))
        case let (.string(s), "replace"):
            guard args.count >= 2 else { throw error("replace() needs two arguments") }
            return .string(s.replacingAll(args[0].text, with: args[1].text))
        case let (.string(s), "split"):
            if let sep = args.first?.text {
                return .array(s.components(separatedBy: sep).map { .string($0) })
            }
            return .array(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case let (.object(o), "items"): return .array(o.keys.map { .array([.string($0), o[$0] ?? .none]) })
        case let (.object(o), "keys"): return .array(o.keys.map { .string($0) })
        case let (.object(o), "values"): return .array(o.keys.map { o[$0] ?? .none })
        case let (.object(o), "get"):
            guard let k = args.first else { throw error("get() needs a key") }
            return o[k.text] ?? (args.count > 1 ? args[1] : .none)
        default:
            throw ChatTemplateError.unsupportedFeature("unknown method '\(method)' of a \(base.typeName)")
        }
    }

    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        var u = Array(s.unicodeScalars)
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ c: Unicode.Scalar) -> Bool { set?.contains(c) ?? c.properties.isWhitespace }
        if trailing { while let l = u.last, strippable(l) { u.removeLast() } }
        if leading { var k = 0; while k < u.count && strippable(u[k]) { k += 1 }; u.removeFirst(k) }
        return String(scalars: u)
    }

    private func filter(_ v: JinjaValue, _ name: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch name {
        case "trim": return .string(JinjaRenderer.strip(v.text, args.first?.text, leading: true, trailing: true))
        case "upper": return .string(v.text.uppercased())
        case "lower": return .string(v.text.lowercased())
        case "capitalize":
            let t = v.text
            return .string(t.prefix(1).uppercased() + t.dropFirst().lowercased())
        case "string": return .string(v.text)
        case "int": return .int(v.number.map { Int($0) } ?? Int(v.text) ?? 0)
        case "length", "count":
            switch v {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .array(a): return .int(a.count)
            case let .object(o): return .int(o.keys.count)
            default: throw error("\(v.typeName) has no length")
            }
        case "first", "last":
            guard case let .array(a) = v else { throw error("\(name) needs a list") }
            return (name == "first" ? a.first : a.last) ?? .undefined(name)
        case "reverse":
            if case let .array(a) = v { return .array(a.reversed()) }
            return .string(String(scalars: v.text.unicodeScalars.reversed()))
        case "list":
            if case .array = v { return v }
            return .array(v.text.unicodeScalars.map { .string(String($0)) })
        case "join":
            guard case let .array(a) = v else { throw error("join needs a list") }
            return .string(a.map(\.text).joined(separator: args.first?.text ?? ""))
        case "default", "d":
            let boolean = args.count > 1 ? args[1].isTruthy : false
            if v.isUndefined || (boolean && !v.isTruthy) { return args.first ?? .string("") }
            return v
        case "replace":
            guard args.count >= 2 else { throw error("replace needs two arguments") }
            return .string(v.text.replacingAll(args[0].text, with: args[1].text))
        case "tojson":
            return .string(JinjaRenderer.json(v))
        case "selectattr", "rejectattr":
            guard case let .array(a) = v, let attr = args.first?.text else { throw error("\(name) needs a list and an attribute") }
            let keep = name == "selectattr"
            return .array(try a.filter { item in
                let field = try member(item, .string(attr))
                let ok = args.count > 1 ? try test(field, args[1].text, Array(args.dropFirst(2))) : field.isTruthy
                return ok == keep
            })
        case "map":
            guard case let .array(a) = v else { throw error("map needs a list") }
            if let attr = kwargs.first(where: { $0.0 == "attribute" })?.1.text {
                return .array(try a.map { try member($0, .string(attr)) })
            }
            guard let f = args.first?.text else { throw error("map needs a filter or attribute") }
            return .array(try a.map { try filter($0, f, Array(args.dropFirst()), []) })
        default:
            throw ChatTemplateError.unsupportedFeature("unknown filter '\(name)'")
        }
    }

    private func test(_ v: JinjaValue, _ name: String, _ args: [JinjaValue]) throws -> Bool {
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true } else { return false }
        case "string": if case .string = v { return true } else { return false }
        case "number": switch v { case .int, .double: return true; default: return false }
        case "integer": if case .int = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "mapping": if case .object = v { return true } else { return false }
        case "sequence", "iterable":
            switch v { case .array, .string, .object: return true; default: return false }
        case "even", "odd":
            guard case let .int(i) = v else { throw error("\(name) needs an integer") }
            return (i % 2 == 0) == (name == "even")
        case "equalto", "eq", "==", "sameas":
            return JinjaValue.equal(v, args.first ?? .none)
        case "ne", "!=": return !JinjaValue.equal(v, args.first ?? .none)
        default: throw ChatTemplateError.unsupportedFeature("unknown test '\(name)'")
        }
    }

    private func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        switch op {
        case "~": return .string(a.text + b.text)
        case "==": return .bool(JinjaValue.equal(a, b))
        case "!=": return .bool(!JinjaValue.equal(a, b))
        case "in":
            switch b {
            case let .string(s): return .bool(a.text.isEmpty || s.replacingAll(a.text, with: "") != s)
            case let .array(arr): return .bool(arr.contains { JinjaValue.equal($0, a) })
            case let .object(o): return .bool(o[a.text] != nil)
            case .undefined: throw error("'in' on an undefined value")
            default: throw error("'in' needs a string, list or dict, not a \(b.typeName)")
            }
        case "+":
            switch (a, b) {
            case let (.int(x), .int(y)):
                let (r, overflow) = x.addingReportingOverflow(y)
                guard !overflow else { throw error("integer overflow") }
                return .int(r)
            case let (.string(x), .string(y)): return .string(x + y)
            case let (.array(x), .array(y)): return .array(x + y)
            default:
                if let x = a.number, let y = b.number { return .double(x + y) }
                throw error("cannot add a \(a.typeName) and a \(b.typeName)")
            }
        case "-", "*", "/", "//", "%":
            if op == "*", case let .string(s) = a, case let .int(n) = b {
                guard n < 1_000_000 else { throw error("string repetition too large") }
                return .string(String(repeating: s, count: max(0, n)))
            }
            if case let .int(x) = a, case let .int(y) = b, op != "/" {
                switch op {
                case "-": return .int(x &- y)
                case "*":
                    let (r, o) = x.multipliedReportingOverflow(by: y)
                    guard !o else { throw error("integer overflow") }
                    return .int(r)
                default:
                    guard y != 0 else { throw error("division by zero") }
                    let q = Int((Double(x) / Double(y)).rounded(.down))
                    return .int(op == "//" ? q : x - q * y)
                }
            }
            guard let x = a.number, let y = b.number else { throw error("cannot apply \(op) to a \(a.typeName) and a \(b.typeName)") }
            switch op {
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            default:
                guard y != 0 else { throw error("division by zero") }
                if op == "/" { return .double(x / y) }
                let q = (x / y).rounded(.down)
                return .double(op == "//" ? q : x - q * y)
            }
        case "<", ">", "<=", ">=":
            let c: Int
            if let x = a.number, let y = b.number {
                c = x < y ? -1 : (x > y ? 1 : 0)
            } else if case let .string(x) = a, case let .string(y) = b {
                let xs = Array(x.unicodeScalars.map(\.value)), ys = Array(y.unicodeScalars.map(\.value))
                c = xs.lexicographicallyPrecedes(ys) ? -1 : (xs == ys ? 0 : 1)
            } else {
                throw error("cannot compare a \(a.typeName) and a \(b.typeName)")
            }
            switch op {
            case "<": return .bool(c < 0)
            case ">": return .bool(c > 0)
            case "<=": return .bool(c <= 0)
            default: return .bool(c >= 0)
            }
        default:
            throw error("unknown operator \(op)")
        }
    }

    /// JSON as Python's `json.dumps(ensure_ascii=False)` writes it (Transformers' `tojson`).
    static func json(_ v: JinjaValue) -> String {
        switch v {
        case .undefined, .none: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return pythonFloatJSON(d)
        case let .string(s):
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        case let .array(a): return "[" + a.map(json).joined(separator: ", ") + "]"
        case let .object(o): return "{" + o.keys.map { json(.string($0)) + ": " + json(o[$0] ?? .none) }.joined(separator: ", ") + "}"
        case let .namespace(ns): return json(.object(JinjaObject(ns.values.sorted { $0.key < $1.key })))
        }
    }

    private static func pythonFloatJSON(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        return JinjaValue.pythonFloat(d)
    }
}
