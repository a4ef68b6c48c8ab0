extension ClassificationDataset {
    /// The labels read as numbers, for a regression task (STS-B's similarity scores). Throws,
    /// naming the file and line, for a label that is not a finite number or lies outside `range`.
    public func regressionTargets(range: ClosedRange<Float>? = nil) throws -> [Float] {
        try zip(examples, lines).map { example, line in
            guard let value = Float(example.label), value.isFinite else {
                throw DataError(path: path, line: line, "the score \"\(example.label)\" is not a number")
            }
            if let range, !range.contains(value) {
                throw DataError(path: path, line: line,
                                "the score \(example.label) lies outside \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
    }
}
