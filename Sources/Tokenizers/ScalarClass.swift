/// The Unicode classes the pre-tokenizer patterns test, with the semantics of the regex engines
/// the Hugging Face tokenizers use: `\p{L}` is general category L*, `\p{N}` is N* (Nd, Nl, No), and
/// `\s` is the White_Space property.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    @inline(__always)
    static func of(_ s: Unicode.Scalar) -> ScalarClass {
        let v = s.value
        if v < 0x80 { return asciiTable[Int(v)] }
        let p = s.properties
        // The reference regex engine (Oniguruma) carries Unicode 16 tables: characters assigned
        // later are unassigned there, hence neither letters, numbers nor spaces.
        guard let age = p.age, age.major <= referenceUnicodeMajor else { return .other }
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// The Unicode version of the pattern engine the fixtures were made with.
    static let referenceUnicodeMajor = 16

    private static let asciiTable: [ScalarClass] = (0..<128).map { v -> ScalarClass in
        switch v {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .whitespace
        default: return .other
        }
    }
}

extension Unicode.Scalar {
    /// Rust's `char::is_whitespace`: the White_Space property.
    @inline(__always) var isWhiteSpace: Bool {
        value < 0x80 ? (value == 0x20 || (0x09...0x0D).contains(value)) : properties.isWhitespace
    }

    /// `char::is_numeric` in Rust: general category Nd, Nl or No.
    @inline(__always) var isNumeric: Bool { ScalarClass.of(self) == .number }

    /// BERT's punctuation: ASCII punctuation or Unicode category P*.
    var isBertPunctuation: Bool {
        let v = value
        if v < 0x80 {
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v)
                || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Categories Cc, Cf, Cs, Co: what BERT's text cleaning drops (tab, newline and carriage
    /// return excepted, which count as whitespace). Unassigned code points (Cn) are kept, as the
    /// reference implementation does.
    var isOtherCategory: Bool {
        // Format characters the reference's (older) category tables do not list, so it keeps them.
        switch value {
        case 0x0890, 0x0891, 0x08E2, 0x110CD, 0x13430...0x1343F: return false
        default: break
        }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT surrounds with spaces.
    var isCJKIdeograph: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

extension String {
    /// Builds a string from a run of scalars without going through `Character`.
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        self = String(s)
    }
}
