/// GPT-2's reversible map from the 256 byte values to printable Unicode characters: printable
/// Latin-1 bytes map to themselves, the others to U+0100 onwards in order. Byte-level BPE
/// vocabularies are written in these characters (a space is `Ġ`, a newline `Ċ`).
enum ByteLevelAlphabet {
    /// `scalar[b]` is the character standing for byte `b`.
    static let scalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// The inverse map as a table indexed by scalar value (all 256 characters are below
    /// U+0144): the byte a character stands for, or -1.
    static let byteTable: [Int16] = {
        var t = [Int16](repeating: -1, count: 0x144)
        for (b, s) in scalar.enumerated() where Int(s.value) < t.count { t[Int(s.value)] = Int16(b) }
        return t
    }()

    /// The vocabulary spelling of raw bytes.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        String(scalars: bytes.lazy.map { scalar[Int($0)] })
    }

    /// The bytes a vocabulary token spells, or nil if one of its characters is not in the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        let table = byteTable
        for s in token.unicodeScalars {
            guard Int(s.value) < table.count, table[Int(s.value)] >= 0 else { return nil }
            out.append(UInt8(table[Int(s.value)]))
        }
        return out
    }
}
