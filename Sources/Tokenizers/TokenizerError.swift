/// Why a tokenizer could not be built or used. Every case names what was wrong so that a user
/// holding a broken or unsupported file knows which part to look at.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read or is not the expected format.
    case unreadable(path: String, reason: String)
    /// A required field is missing or has the wrong type.
    case malformed(source: String, reason: String)
    /// The file is well formed but uses a component this implementation does not provide.
    case unsupported(source: String, component: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read tokenizer \(path): \(reason)"
        case let .malformed(source, reason): return "malformed tokenizer \(source): \(reason)"
        case let .unsupported(source, component): return "unsupported tokenizer component in \(source): \(component)"
        }
    }
}
