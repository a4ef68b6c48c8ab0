import Foundation

/// A JSON object read with `JSONSerialization`, with typed accessors that throw an error naming
/// the file and the key when a value is missing or has the wrong type.
public struct JSONObject: @unchecked Sendable {
    /// The raw dictionary, as `JSONSerialization` returns it.
    public let dictionary: [String: Any]
    /// The file the object came from (for error messages).
    public let path: String
    /// Where in the file the object sits, such as `rope_scaling.` (empty at the top level).
    public let keyPrefix: String

    public init(dictionary: [String: Any], path: String, keyPrefix: String = "") {
        self.dictionary = dictionary
        self.path = path
        self.keyPrefix = keyPrefix
    }

    /// Parses `data` (the contents of `path`), which must hold a JSON object.
    public init(data: Data, path: String) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw ModelIOError(path, "not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = parsed as? [String: Any] else {
            throw ModelIOError(path, "expected a JSON object at the top level")
        }
        self.init(dictionary: dictionary, path: path)
    }

    /// Reads and parses the JSON object in `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelIOError(url, "cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data, path: url.path)
    }

    public var keys: [String] { Array(dictionary.keys) }

    /// Whether `key` is present with a value other than JSON `null`.
    public func has(_ key: String) -> Bool {
        guard let v = dictionary[key] else { return false }
        return !(v is NSNull)
    }

    func error(_ key: String, _ problem: String) -> ModelIOError {
        ModelIOError(path, "\"\(keyPrefix)\(key)\" \(problem)")
    }

    private func present(_ key: String) -> Any? {
        guard let v = dictionary[key], !(v is NSNull) else { return nil }
        return v
    }

    /// An integer value, or nil when absent or null.
    public func int(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = JSONObject.integer(v) else {
            throw error(key, "should be a whole number, found \(JSONObject.describe(v))")
        }
        return i
    }

    /// A number (integer or not), or nil when absent or null.
    public func double(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, !JSONObject.isBoolean(n), n.doubleValue.isFinite else {
            throw error(key, "should be a number, found \(JSONObject.describe(v))")
        }
        return n.doubleValue
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, JSONObject.isBoolean(n) else {
            throw error(key, "should be true or false, found \(JSONObject.describe(v))")
        }
        return n.boolValue
    }

    public func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else {
            throw error(key, "should be a string, found \(JSONObject.describe(v))")
        }
        return s
    }

    public func object(_ key: String) throws -> JSONObject? {
        guard let v = present(key) else { return nil }
        guard let d = v as? [String: Any] else {
            throw error(key, "should be an object, found \(JSONObject.describe(v))")
        }
        return JSONObject(dictionary: d, path: path, keyPrefix: keyPrefix + key + ".")
    }

    public func array(_ key: String) throws -> [Any]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any] else {
            throw error(key, "should be an array, found \(JSONObject.describe(v))")
        }
        return a
    }

    /// An array of whole numbers, or nil when absent or null.
    public func intArray(_ key: String) throws -> [Int]? {
        guard let a = try array(key) else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for (i, v) in a.enumerated() {
            guard let n = JSONObject.integer(v) else {
                throw error(key, "element \(i) should be a whole number, found \(JSONObject.describe(v))")
            }
            out.append(n)
        }
        return out
    }

    public func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let v = try read(key) else { throw error(key, "is missing") }
        return v
    }

    // MARK: value conversion

    static func isBoolean(_ n: NSNumber) -> Bool {
        // JSONSerialization hands booleans back as NSNumber too; their type code is "c".
        String(cString: n.objCType) == "c"
    }

    /// A JSON number that is a whole number representable as `Int`, else nil.
    public static func integer(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, !isBoolean(n) else { return nil }
        return v as? Int  // bridging succeeds only for exact conversions
    }

    static func describe(_ v: Any) -> String {
        switch v {
        case is String: return "a string"
        case let n as NSNumber: return isBoolean(n) ? "a boolean" : "the number \(n)"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "a \(type(of: v))"
        }
    }
}
