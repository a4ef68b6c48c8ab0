/// A pre-tokenizer of `tokenizer.json`: cuts a normalized segment into the words the model
/// encodes one by one. Pieces are ranges into a scalar buffer; a stage that changes text (a
/// prefix space) appends the new text to the buffer and points at it.
public indirect enum PreTokenizer: Sendable {
    /// BERT's: split on whitespace (dropped) and around every punctuation character.
    case bert
    /// Split on whitespace, dropping it.
    case whitespaceSplit
    /// Byte-level: optionally add a leading space and split with the GPT-2 pattern. The mapping
    /// of bytes to characters happens in the model (`BytePairEncoder.byteLevel`).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Split by a known pattern, each match its own piece (the `Isolated` behaviour).
    case split(SplitPattern)
    /// Numbers isolated, one digit per piece or one run per piece.
    case digits(individual: Bool)
    case sequence([PreTokenizer])

    /// Whether the words coming out are byte-level (the BPE model must map bytes to characters).
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case let .sequence(list): return list.contains { $0.isByteLevel }
        default: return false
        }
    }

    /// Splits every piece of `pieces` (ranges into `buffer`) and returns the new pieces.
    func split(_ buffer: inout [Unicode.Scalar], _ pieces: [Range<Int>], scratch: inout [ScalarClass]) -> [Range<Int>] {
        if case let .sequence(list) = self {
            var p = pieces
            for stage in list { p = stage.split(&buffer, p, scratch: &scratch) }
            return p
        }
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count * 4)
        for piece in pieces where !piece.isEmpty {
            splitOne(&buffer, piece, scratch: &scratch, into: &out)
        }
        return out
    }

    private func splitOne(_ buffer: inout [Unicode.Scalar], _ piece: Range<Int>, scratch: inout [ScalarClass], into out: inout [Range<Int>]) {
        switch self {
        case .bert, .whitespaceSplit:
            let punct = { if case .bert = self { return true } else { return false } }()
            var start = piece.lowerBound
            for i in piece {
                let s = buffer[i]
                if s.isWhiteSpace {
                    if start < i { out.append(start..<i) }
                    start = i + 1
                } else if punct && s.isBertPunctuation {
                    if start < i { out.append(start..<i) }
                    out.append(i..<(i + 1))
                    start = i + 1
                }
            }
            if start < piece.upperBound { out.append(start..<piece.upperBound) }
        case let .byteLevel(addPrefixSpace, useRegex):
            var p = piece
            if addPrefixSpace && buffer[piece.lowerBound] != " " {
                let s = buffer.count
                buffer.append(" ")
                buffer.append(contentsOf: buffer[piece])
                p = s..<buffer.count
            }
            if useRegex {
                SplitPattern.gpt2.scan(buffer, p, classes: &scratch, into: &out)
            } else {
                out.append(p)
            }
        case let .split(pattern):
            pattern.scan(buffer, piece, classes: &scratch, into: &out)
        case let .digits(individual):
            var start = piece.lowerBound
            var i = piece.lowerBound
            while i < piece.upperBound {
                if buffer[i].isNumeric {
                    if start < i { out.append(start..<i) }
                    var j = i + 1
                    if !individual { while j < piece.upperBound && buffer[j].isNumeric { j += 1 } }
                    out.append(i..<j)
                    start = j
                    i = j
                } else {
                    i += 1
                }
            }
            if start < piece.upperBound { out.append(start..<piece.upperBound) }
        case .sequence:
            out.append(contentsOf: split(&buffer, [piece], scratch: &scratch))
        }
    }
}
