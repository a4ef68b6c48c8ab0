/// BERT's WordPiece model: each word is cut greedily into the longest vocabulary pieces from the
/// left, pieces after the first spelled with the `##` prefix; a word with any piece missing, or
/// longer than `maxInputCharsPerWord`, becomes the unknown token.
public final class WordPieceEncoder: Sendable {
    public let vocabulary: [String: Int]
    public let tokens: [String]
    public let unknownId: Int
    public let continuingPrefix: String
    public let maxInputCharsPerWord: Int
    private let cache = WordCache<String>()

    public init(vocabulary: [String: Int], unknownToken: String, continuingPrefix: String = "##",
                maxInputCharsPerWord: Int = 100, source: String) throws {
        guard let unk = vocabulary[unknownToken] else {
            throw TokenizerError.malformed(source: source, reason: "unknown token '\(unknownToken)' is not in the vocabulary")
        }
        let maxId = vocabulary.values.max() ?? -1
        guard maxId < Int(Int32.max), vocabulary.values.allSatisfy({ $0 >= 0 }) else {
            throw TokenizerError.malformed(source: source, reason: "token ids out of range")
        }
        var tokens = [String](repeating: "", count: maxId + 1)
        for (t, i) in vocabulary { tokens[i] = t }
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.unknownId = unk
        self.continuingPrefix = continuingPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    func encode(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        if word.count > maxInputCharsPerWord { ids.append(unknownId); return }
        let key = String(scalars: word)
        if let hit = cache.get(key) {
            for id in hit { ids.append(Int(id)) }
            return
        }
        var pieces: [Int32] = []
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int?
            while start < end {
                var candidate = start > word.startIndex ? continuingPrefix : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] { found = id; break }
                end -= 1
            }
            guard let id = found else { pieces = [Int32(unknownId)]; break }
            pieces.append(Int32(id))
            start = end
        }
        if word.count <= cache.maxKeyLength { cache.set(key, pieces) }
        for id in pieces { ids.append(Int(id)) }
    }
}
