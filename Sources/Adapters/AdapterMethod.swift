/// The name of a fine-tuning method, as the command line, adapter manifests and experiment
/// records write it (`lora-sb`, `lora-xs`, `lora`, `full`).
///
/// Only the methods of `AdapterRegistry` exist: decoding or parsing any other name fails. Each
/// method's file declares its name as a static constant (`AdapterMethod.loraSB`) next to its
/// `FineTuningMethod`.
public struct AdapterMethod: RawRepresentable, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    /// A registered method's name; nil for any other.
    public init?(rawValue: String) {
        guard AdapterRegistry.methods.contains(where: { $0.method.name == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    /// Declares a method's name; only its `FineTuningMethod` file does this.
    init(declaring name: String) { rawValue = name }

    /// Parses a method name as written on the command line.
    public init(parsing name: String) throws {
        guard let m = AdapterMethod(rawValue: name.lowercased()) else {
            throw AdapterError.invalidSetting(
                "unknown method '\(name)' (expected one of: \(AdapterMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = m
    }

    /// Every registered method, in the registry's order.
    public static var allCases: [AdapterMethod] { AdapterRegistry.methods.map { $0.method } }

    /// The implementation behind the name.
    public var implementation: FineTuningMethod.Type {
        guard let m = AdapterRegistry.methods.first(where: { $0.method == self }) else {
            preconditionFailure("method \(rawValue) is declared but not registered in AdapterRegistry")
        }
        return m
    }

    /// The name as tables and plots show it (`LoRA-SB`).
    public var displayName: String { implementation.displayName }

    /// Whether the method adds low-rank factors next to frozen weights.
    public var isLowRank: Bool { implementation.addsAdapters }

    public var description: String { rawValue }
    var name: String { rawValue }
}
