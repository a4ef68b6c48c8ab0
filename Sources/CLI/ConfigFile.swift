import Foundation

/// A `--config` file: flat settings named like the flags, as JSON (`{"rank": 32}`) or as
/// YAML's simple `key: value` lines (comments with `#`, lists as `[a, b]` or `a,b`), which is
/// what `mlx_lm.lora` configs mostly are. Nested YAML is refused with the line that has it.
enum ConfigFile {
    static func read(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the config file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            return try json(data, path)
        }
        return try yaml(text, path)
    }

    static func json(_ data: Data, _ path: String) throws -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw CLIError("\(path): not a JSON object")
        }
        var out: [String: String] = [:]
        for (k, v) in dict {
            switch v {
            case let s as String: out[k] = s
            case let n as NSNumber:
                out[k] = n.stringValue   // booleans come as 1 / 0, which switches accept
            case let a as [Any]: out[k] = a.map { "\($0)" }.joined(separator: ",")
            default: throw CLIError("\(path): '\(k)' must be a string, number, boolean or list")
            }
        }
        return out
    }

    static func yaml(_ text: String, _ path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard !line.hasPrefix(" "), !line.hasPrefix("\t"), let colon = line.firstIndex(of: ":") else {
                throw CLIError("\(path):\(i + 1): expected 'key: value' (nested YAML is not supported)")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("[") && value.hasSuffix("]") {
                value = value.dropFirst().dropLast().split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
                    .joined(separator: ",")
            } else {
                value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
            guard !key.isEmpty, !value.isEmpty else {
                throw CLIError("\(path):\(i + 1): expected 'key: value'")
            }
            out[key] = value
        }
        return out
    }
}
