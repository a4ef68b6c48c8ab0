import Foundation

/// A hand-written command-line parser: `--flag value`, `--flag=value`, boolean `--switch`,
/// and positional words. Flags are declared up front so typos give a clear error.
struct Arguments {
    struct Flag {
        let name: String
        let takesValue: Bool
        let help: String
        let aliases: [String]
        init(_ name: String, value: Bool = true, aliases: [String] = [], help: String) {
            self.name = name; self.takesValue = value; self.help = help; self.aliases = aliases
        }
    }

    private(set) var values: [String: String] = [:]
    private(set) var switches: Set<String> = []
    private(set) var positional: [String] = []

    /// Parses `words` against `flags`; `--help`/`-h` is always accepted.
    init(_ words: [String], flags: [Flag]) throws {
        var byName: [String: Flag] = [:]
        for f in flags {
            byName[f.name] = f
            for a in f.aliases { byName[a] = f }
        }
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            if word == "-h" || word == "--help" { switches.insert("help"); continue }
            guard word.hasPrefix("--") else { positional.append(word); continue }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let flag = byName[name] else {
                throw CLIError("unknown option --\(name)")
            }
            if flag.takesValue {
                if let v = inlineValue {
                    values[flag.name] = v
                } else {
                    guard i < words.count else { throw CLIError("--\(name) needs a value") }
                    values[flag.name] = words[i]
                    i += 1
                }
            } else {
                if inlineValue != nil { throw CLIError("--\(name) takes no value") }
                switches.insert(flag.name)
            }
        }
    }

    func has(_ name: String) -> Bool { switches.contains(name) }

    /// Fills every flag the command line left unset from `settings` (a `--config` file's
    /// keys; `_` and `-` are interchangeable). Unknown keys are errors, as unknown flags are.
    mutating func applyDefaults(_ settings: [String: String], flags: [Flag], source: String) throws {
        var byName: [String: Flag] = [:]
        for f in flags { byName[f.name] = f; for a in f.aliases { byName[a] = f } }
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            let name = key.replacingOccurrences(of: "_", with: "-")
            guard let flag = byName[name], flag.name != "config" else {
                throw CLIError("\(source): unknown setting '\(key)'")
            }
            if flag.takesValue {
                if values[flag.name] == nil { values[flag.name] = value }
            } else if ["true", "yes", "1"].contains(value.lowercased()) {
                switches.insert(flag.name)
            } else if !["false", "no", "0"].contains(value.lowercased()) {
                throw CLIError("\(source): '\(key)' is a switch: expected true or false, got '\(value)'")
            }
        }
    }
    func string(_ name: String) -> String? { values[name] }

    func required(_ name: String) throws -> String {
        guard let v = values[name] else { throw CLIError("--\(name) is required") }
        return v
    }

    func int(_ name: String) throws -> Int? {
        guard let v = values[name] else { return nil }
        guard let n = Int(v) else { throw CLIError("--\(name) expects a whole number, got '\(v)'") }
        return n
    }

    func double(_ name: String) throws -> Double? {
        guard let v = values[name] else { return nil }
        guard let n = Double(v), n.isFinite else {
            throw CLIError("--\(name) expects a number, got '\(v)'")
        }
        return n
    }

    /// Replaces `value` by the flag's whole number when one is given, so that an unset flag
    /// keeps the library's default; refuses numbers below `minimum`.
    func override(_ value: inout Int, _ name: String, atLeast minimum: Int) throws {
        guard let v = try int(name) else { return }
        guard v >= minimum else {
            throw CLIError(minimum > 0 ? "--\(name) must be at least \(minimum), got \(v)" : "--\(name) must not be negative, got \(v)")
        }
        value = v
    }

    /// A seed: a whole number that is not negative.
    func override(_ value: inout UInt64, _ name: String) throws {
        var v = Int(clamping: value)
        try override(&v, name, atLeast: 0)
        value = UInt64(v)
    }

    func override(_ value: inout Double, _ name: String) throws {
        if let v = try double(name) { value = v }
    }

    func override(_ value: inout Float, _ name: String) throws {
        if let v = try double(name) { value = Float(v) }
    }

    /// Replaces `value` by the case the flag names, so that an unset flag keeps the library's
    /// default; an unknown name is an error listing the choices.
    func override<Choice: RawRepresentable & CaseIterable>(_ value: inout Choice, _ name: String) throws
    where Choice.RawValue == String {
        guard let v = values[name] else { return }
        guard let choice = Choice(rawValue: v) else {
            throw CLIError("--\(name) must be \(Self.choices(Choice.self)), got '\(v)'")
        }
        value = choice
    }

    /// `a, b or c`: the names of an enumeration's cases, for help texts and errors.
    static func choices<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) -> String
    where Choice.RawValue == String {
        let names = type.allCases.map(\.rawValue)
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    /// The usage text of a subcommand.
    static func usage(command: String, summary: String, flags: [Flag]) -> String {
        var s = "usage: lorasb \(command) [options]\n\n\(summary)\n\noptions:\n"
        for f in flags {
            let names = ([f.name] + f.aliases).map { "--\($0)" }.joined(separator: ", ")
            let lhs = f.takesValue ? "\(names) VALUE" : names
            s += "  \(lhs.padding(toLength: max(lhs.count, 28), withPad: " ", startingAt: 0))  \(f.help)\n"
        }
        s += "  \("-h, --help".padding(toLength: 28, withPad: " ", startingAt: 0))  show this help\n"
        return s
    }
}

/// A user-facing command-line error: printed without a stack trace, exit code 2.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
