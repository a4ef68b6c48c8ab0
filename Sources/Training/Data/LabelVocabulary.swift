/// The classes of a classification task and their indices.
///
/// Labels are sorted so the mapping depends only on the set of labels, not on the order examples
/// appear in: integers (`"0"`, `"1"`, `"10"`) numerically, anything else by Unicode scalar values.
/// It is saved with a fine-tuned model so predictions map back to the same names.
public struct LabelVocabulary: Equatable, Sendable, Codable {
    /// The label of each class index.
    public let labels: [String]

    public init<S: Sequence>(labels: S) where S.Element == String {
        let unique = Array(Set(labels))
        let numeric = unique.compactMap { label in Int(label).map { (label, $0) } }
        if numeric.count == unique.count {
            // Ties ("1" and "01") fall back to the text so the order stays total and stable.
            self.labels = numeric.sorted { a, b in
                a.1 != b.1 ? a.1 < b.1 : a.0.unicodeScalars.lexicographicallyPrecedes(b.0.unicodeScalars)
            }.map(\.0)
        } else {
            self.labels = unique.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        }
    }

    public var count: Int { labels.count }

    /// The class index of `label`, or nil for a label the vocabulary does not hold.
    public func index(of label: String) -> Int? {
        labels.firstIndex(of: label)
    }

    /// The label of class `index`.
    public func label(at index: Int) -> String {
        precondition(labels.indices.contains(index), "class index \(index) out of range 0..<\(labels.count)")
        return labels[index]
    }
}
