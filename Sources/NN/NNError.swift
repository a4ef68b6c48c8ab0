/// Errors layers throw for input that comes from data (token ids, labels), as opposed to
/// programmer errors (shape mismatches between layers), which are preconditions.
public enum NNError: Error, Equatable, CustomStringConvertible {
    /// A token id outside `0..<vocabularySize` reached an embedding.
    case tokenOutOfRange(id: Int, position: Int, vocabularySize: Int)
    /// A label outside `0..<classes` (and not the ignore index) reached a loss.
    case labelOutOfRange(label: Int, position: Int, classes: Int)
    /// An input had the wrong number of values for the shape it was declared with.
    case shapeMismatch(what: String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, position, vocabularySize):
            return "token id \(id) at position \(position) is outside the vocabulary of \(vocabularySize)"
        case let .labelOutOfRange(label, position, classes):
            return "label \(label) at position \(position) is outside 0..<\(classes) and is not the ignore index"
        case let .shapeMismatch(what, expected, got):
            return "\(what): expected \(expected) values, got \(got)"
        }
    }
}
