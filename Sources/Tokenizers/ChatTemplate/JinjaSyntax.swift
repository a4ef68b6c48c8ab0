/// An expression of the template language.
indirect enum JinjaExpr {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String)
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, [JinjaExpr], [(String, JinjaExpr)])
    case filter(JinjaExpr, String, [JinjaExpr], [(String, JinjaExpr)])
    case test(JinjaExpr, String, [JinjaExpr], negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    case conditional(JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

/// A statement (node) of a parsed template.
indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpr)
    case branches([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case loop(targets: [String], over: JinjaExpr, condition: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    case set(name: String, attribute: String?, JinjaExpr)
    case setBlock(name: String, body: [JinjaNode])
}

/// A recursive-descent parser over `JinjaLexer` tokens, following Jinja2's grammar and operator
/// precedence for the statements chat templates use: `if`/`elif`/`else`, `for` (with `else` and a
/// filter condition), `set` (also `set ns.attr` and block `set`).
struct JinjaParser {
    private let tokens: [JinjaToken]
    private let lines: [Int]
    private var i = 0
    /// Nesting of expressions being parsed: bounded so that hostile input cannot exhaust the stack.
    private var depth = 0
    private static let maxDepth = 200

    static func parse(_ source: String) throws -> [JinjaNode] {
        let (tokens, lines) = try JinjaLexer.tokenize(source)
        var p = JinjaParser(tokens: tokens, lines: lines)
        let (nodes, end) = try p.parseBody(until: [])
        if let end { throw p.syntax("unexpected {% \(end) %}") }
        return nodes
    }

    private init(tokens: [JinjaToken], lines: [Int]) { self.tokens = tokens; self.lines = lines }

    private var line: Int { i < lines.count ? lines[i] : (lines.last ?? 1) }
    private func syntax(_ m: String) -> ChatTemplateError { .syntax(m, line: line) }
    private var peek: JinjaToken? { i < tokens.count ? tokens[i] : nil }

    private mutating func next() throws -> JinjaToken {
        guard i < tokens.count else { throw syntax("unexpected end of template") }
        defer { i += 1 }
        return tokens[i]
    }

    private mutating func expect(_ t: JinjaToken) throws {
        let got = try next()
        guard got == t else { throw syntax("expected \(t), found \(got)") }
    }

    private mutating func accept(_ t: JinjaToken) -> Bool {
        if peek == t { i += 1; return true }
        return false
    }

    private mutating func name() throws -> String {
        guard case let .name(n) = try next() else { i -= 1; throw syntax("expected a name") }
        return n
    }

    /// Parses nodes until a block tag whose keyword is in `enders`; returns that keyword (the
    /// tag's remaining tokens are left for the caller), or nil at the end of the template.
    private mutating func parseBody(until enders: Set<String>) throws -> ([JinjaNode], String?) {
        var nodes: [JinjaNode] = []
        while let t = peek {
            switch t {
            case let .text(s):
                i += 1
                nodes.append(.text(s))
            case .outputBegin:
                i += 1
                let e = try expression()
                try expect(.outputEnd)
                nodes.append(.output(e))
            case .blockBegin:
                guard depth < JinjaParser.maxDepth else { throw ChatTemplateError.unsupported("blocks nested deeper than \(JinjaParser.maxDepth)", line: line) }
                guard i + 1 < tokens.count, case let .name(keyword) = tokens[i + 1] else { throw syntax("expected a statement") }
                if enders.contains(keyword) { i += 2; return (nodes, keyword) }
                i += 2
                depth += 1
                defer { depth -= 1 }
                nodes.append(try statement(keyword))
            default:
                throw syntax("unexpected \(t)")
            }
        }
        return (nodes, nil)
    }

    private mutating func statement(_ keyword: String) throws -> JinjaNode {
        switch keyword {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try expression()
            while true {
                try expect(.blockEnd)
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((cond, body))
                switch end {
                case "elif": cond = try expression()
                case "else":
                    try expect(.blockEnd)
                    let (other, end2) = try parseBody(until: ["endif"])
                    guard end2 == "endif" else { throw syntax("missing {% endif %}") }
                    try expect(.blockEnd)
                    return .branches(branches, otherwise: other)
                case "endif":
                    try expect(.blockEnd)
                    return .branches(branches, otherwise: [])
                default: throw syntax("missing {% endif %}")
                }
            }
        case "for":
            var targets = [try name()]
            while accept(.op(",")) { targets.append(try name()) }
            guard try next() == .name("in") else { throw syntax("expected 'in' in for loop") }
            let over = try orExpression()
            var condition: JinjaExpr?
            if accept(.name("if")) { condition = try orExpression() }
            if accept(.name("recursive")) { throw ChatTemplateError.unsupported("recursive loops", line: line) }
            try expect(.blockEnd)
            let (body, end) = try parseBody(until: ["else", "endfor"])
            var other: [JinjaNode] = []
            if end == "else" {
                try expect(.blockEnd)
                let (o, end2) = try parseBody(until: ["endfor"])
                guard end2 == "endfor" else { throw syntax("missing {% endfor %}") }
                other = o
            } else if end != "endfor" {
                throw syntax("missing {% endfor %}")
            }
            try expect(.blockEnd)
            return .loop(targets: targets, over: over, condition: condition, body: body, otherwise: other)
        case "set":
            let target = try name()
            var attribute: String?
            if accept(.op(".")) { attribute = try name() }
            if accept(.op("=")) {
                let value = try expression()
                try expect(.blockEnd)
                return .set(name: target, attribute: attribute, value)
            }
            guard attribute == nil else { throw syntax("expected '='") }
            try expect(.blockEnd)
            let (body, end) = try parseBody(until: ["endset"])
            guard end == "endset" else { throw syntax("missing {% endset %}") }
            try expect(.blockEnd)
            return .setBlock(name: target, body: body)
        default:
            throw ChatTemplateError.unsupported("the '\(keyword)' statement", line: line)
        }
    }

    // MARK: Expressions, lowest precedence first (as in Jinja2's parser)

    mutating func expression() throws -> JinjaExpr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JinjaParser.maxDepth else { throw ChatTemplateError.unsupported("expressions nested deeper than \(JinjaParser.maxDepth)", line: line) }
        let value = try orExpression()
        if accept(.name("if")) {
            let cond = try orExpression()
            var other: JinjaExpr?
            if accept(.name("else")) { other = try expression() }
            return .conditional(cond, then: value, otherwise: other)
        }
        return value
    }

    private mutating func orExpression() throws -> JinjaExpr {
        var l = try andExpression()
        while accept(.name("or")) { l = .or(l, try andExpression()) }
        return l
    }

    private mutating func andExpression() throws -> JinjaExpr {
        var l = try notExpression()
        while accept(.name("and")) { l = .and(l, try notExpression()) }
        return l
    }

    private mutating func notExpression() throws -> JinjaExpr {
        if accept(.name("not")) { return .not(try notExpression()) }
        return try comparison()
    }

    private mutating func comparison() throws -> JinjaExpr {
        var l = try additive()
        while true {
            if case let .op(o) = peek, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                i += 1
                l = .binary(o, l, try additive())
            } else if accept(.name("in")) {
                l = .binary("in", l, try additive())
            } else if peek == .name("not"), i + 1 < tokens.count, tokens[i + 1] == .name("in") {
                i += 2
                l = .not(.binary("in", l, try additive()))
            } else {
                return l
            }
        }
    }

    private mutating func additive() throws -> JinjaExpr {
        var l = try concatenation()
        while case let .op(o) = peek, o == "+" || o == "-" {
            i += 1
            l = .binary(o, l, try concatenation())
        }
        return l
    }

    private mutating func concatenation() throws -> JinjaExpr {
        var l = try multiplicative()
        while accept(.op("~")) { l = .binary("~", l, try multiplicative()) }
        return l
    }

    private mutating func multiplicative() throws -> JinjaExpr {
        var l = try unary()
        while case let .op(o) = peek, ["*", "/", "//", "%"].contains(o) {
            i += 1
            l = .binary(o, l, try unary())
        }
        return l
    }

    private mutating func unary() throws -> JinjaExpr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JinjaParser.maxDepth else { throw ChatTemplateError.unsupported("expressions nested deeper than \(JinjaParser.maxDepth)", line: line) }
        if accept(.op("-")) { return try postfixAndFilters(.negate(try unary())) }
        if accept(.op("+")) { return try unary() }
        return try postfixAndFilters(try primary())
    }

    private mutating func primary() throws -> JinjaExpr {
        let t = try next()
        switch t {
        case let .string(s):
            var s = s
            while case let .string(more) = peek { s += more; i += 1 }   // adjacent literals join
            return .literal(.string(s))
        case let .int(n): return .literal(.int(n))
        case let .double(d): return .literal(.double(d))
        case let .name(n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .op("("):
            let e = try expression()
            if accept(.op(",")) {   // a tuple: treated as a list
                var items = [e]
                while peek != .op(")") { items.append(try expression()); if !accept(.op(",")) { break } }
                try expect(.op(")"))
                return .list(items)
            }
            try expect(.op(")"))
            return e
        case .op("["):
            var items: [JinjaExpr] = []
            while peek != .op("]") {
                items.append(try expression())
                if !accept(.op(",")) { break }
            }
            try expect(.op("]"))
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while peek != .op("}") {
                let k = try expression()
                try expect(.op(":"))
                pairs.append((k, try expression()))
                if !accept(.op(",")) { break }
            }
            try expect(.op("}"))
            return .dict(pairs)
        default:
            i -= 1
            throw syntax("unexpected \(t) in expression")
        }
    }

    private mutating func arguments() throws -> ([JinjaExpr], [(String, JinjaExpr)]) {
        var args: [JinjaExpr] = [], kwargs: [(String, JinjaExpr)] = []
        while peek != .op(")") {
            if case let .name(n) = peek, i + 1 < tokens.count, tokens[i + 1] == .op("=") {
                i += 2
                kwargs.append((n, try expression()))
            } else {
                args.append(try expression())
            }
            if !accept(.op(",")) { break }
        }
        try expect(.op(")"))
        return (args, kwargs)
    }

    private mutating func postfixAndFilters(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        while true {
            if accept(.op(".")) {
                e = .attribute(e, try name())
            } else if accept(.op("[")) {
                var parts: [JinjaExpr?] = [nil]
                var isSlice = false
                while peek != .op("]") {
                    if accept(.op(":")) { isSlice = true; parts.append(nil); continue }
                    parts[parts.count - 1] = try expression()
                }
                try expect(.op("]"))
                if isSlice {
                    while parts.count < 3 { parts.append(nil) }
                    e = .slice(e, parts[0], parts[1], parts[2])
                } else {
                    guard let index = parts[0] else { throw syntax("empty subscript") }
                    e = .item(e, index)
                }
            } else if accept(.op("(")) {
                let (a, k) = try arguments()
                e = .call(e, a, k)
            } else if accept(.op("|")) {
                let f = try name()
                var a: [JinjaExpr] = [], k: [(String, JinjaExpr)] = []
                if accept(.op("(")) { (a, k) = try arguments() }
                e = .filter(e, f, a, k)
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                let t = try name()
                var a: [JinjaExpr] = []
                if accept(.op("(")) {
                    a = try arguments().0
                } else if let p = peek, p.isLiteral {
                    a = [try primary()]
                }
                e = .test(e, t, a, negated: negated)
            } else {
                return e
            }
        }
    }
}

extension JinjaToken {
    var isLiteral: Bool {
        switch self {
        case .string, .int, .double: return true
        default: return false
        }
    }
}
