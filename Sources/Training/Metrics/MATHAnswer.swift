import Foundation

/// Scoring of MATH answers as the MATH benchmark does it (Hendrycks et al., `math_equivalence.py`,
/// also lm-evaluation-harness' `hendrycks_math`): the final answer of a solution is the content
/// of its last `\boxed{…}` (or `\boxed 5`, `\fbox{…}`), else the text after "The answer is:";
/// two answers agree when their normalised forms (`normalize`) are equal.
public enum MATHAnswer {
    /// The final answer of a solution or a generation; nil when it has none.
    public static func extract(_ text: String) -> String? {
        if let boxed = lastBoxed(text) { return boxed }
        guard let marker = text.range(of: "The answer is:", options: .backwards) else { return nil }
        var answer = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        // A sentence's period is not part of the answer ("The answer is: 5.").
        if answer.hasSuffix(".") && !answer.hasSuffix("..") { answer.removeLast() }
        return answer.isEmpty ? nil : answer
    }

    /// The content of the last `\boxed{…}` / `\fbox{…}` with balanced braces, or of `\boxed x`
    /// (the text up to the next `$`, as the benchmark's `remove_boxed` takes it).
    public static func lastBoxed(_ text: String) -> String? {
        let s = Array(text.unicodeScalars)
        let start = lastIndex(of: "\\boxed", in: s) ?? lastIndex(of: "\\fbox", in: s)
        guard let start else { return nil }
        var i = start + (s[start + 1] == "b" ? 6 : 5)
        if i < s.count, s[i] == " " {
            let rest = s[(i + 1)...].prefix { $0 != "$" }
            let answer = String(String.UnicodeScalarView(rest)).trimmingCharacters(in: .whitespaces)
            return answer.isEmpty ? nil : answer
        }
        guard i < s.count, s[i] == "{" else { return nil }
        var depth = 0
        let open = i
        while i < s.count {
            if s[i] == "{" { depth += 1 }
            if s[i] == "}" {
                depth -= 1
                if depth == 0 { return String(String.UnicodeScalarView(s[(open + 1)..<i])) }
            }
            i += 1
        }
        return nil
    }

    /// Whether two answers are the same after normalisation; when either cannot be normalised
    /// (the benchmark's `strip_string` raises), the raw texts are compared, as `is_equiv` does.
    public static func isEquivalent(_ a: String, _ b: String) -> Bool {
        guard let x = normalize(a), let y = normalize(b) else { return a == b }
        return x == y
    }

    /// Hendrycks' `strip_string`, step by step; nil where it raises (two `\text{ ` units,
    /// a `\sqrt` or `\frac` with nothing after it).
    public static func normalize(_ answer: String) -> String? {
        var s = answer.replacingOccurrences(of: "\n", with: "")
            .replacingOccurrences(of: "\\!", with: "")
            .replacingOccurrences(of: "\\\\", with: "\\")
            .replacingOccurrences(of: "tfrac", with: "frac")
            .replacingOccurrences(of: "dfrac", with: "frac")
            .replacingOccurrences(of: "\\left", with: "")
            .replacingOccurrences(of: "\\right", with: "")
            .replacingOccurrences(of: "^{\\circ}", with: "")
            .replacingOccurrences(of: "^\\circ", with: "")
            .replacingOccurrences(of: "\\$", with: "")
        // Units on the right: "\text{ " only ever introduces them in MATH.
        let units = s.components(separatedBy: "\\text{ ")
        if units.count > 2 { return nil }
        s = units[0]
        s = s.replacingOccurrences(of: "\\%", with: "")
            .replacingOccurrences(of: " .", with: " 0.")
            .replacingOccurrences(of: "{.", with: "{0.")
        if s.isEmpty { return s }
        if s.hasPrefix(".") { s = "0" + s }
        // "k = 3" → "3" (a short name before the only "=").
        let sides = s.components(separatedBy: "=")
        if sides.count == 2, sides[0].unicodeScalars.count <= 2 { s = sides[1] }
        guard let sqrt = fixSqrt(s) else { return nil }
        s = sqrt.replacingOccurrences(of: " ", with: "")
        guard let fracs = fixFracs(s) else { return nil }
        s = fracs
        if s == "0.5" { s = "\\frac{1}{2}" }
        return fixSlash(s)
    }

    /// `\sqrt3` → `\sqrt{3}`.
    static func fixSqrt(_ s: String) -> String? {
        let parts = s.components(separatedBy: "\\sqrt")
        var out = parts[0]
        for part in parts.dropFirst() {
            guard let first = part.unicodeScalars.first else { return nil }
            out += first == "{" ? "\\sqrt" + part : "\\sqrt{\(first)}" + String(part.unicodeScalars.dropFirst())
        }
        return out
    }

    /// `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`; a `\frac` followed by a single
    /// character leaves the whole answer as it was, as the benchmark does.
    static func fixFracs(_ s: String) -> String? {
        let parts = s.components(separatedBy: "\\frac")
        var out = parts[0]
        for part in parts.dropFirst() {
            out += "\\frac"
            let u = Array(part.unicodeScalars)
            guard let first = u.first else { return nil }
            if first == "{" { out += part; continue }
            guard u.count >= 2 else { return s }
            let a = String(u[0]), b = String(u[1])
            let rest = String(String.UnicodeScalarView(u[2...]))
            out += u[1] != "{" ? "{\(a)}{\(b)}" + rest : "{\(a)}" + b + rest
        }
        return out
    }

    /// `3/4` → `\frac{3}{4}` when both sides are plain integers.
    static func fixSlash(_ s: String) -> String {
        let parts = s.components(separatedBy: "/")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), s == "\(a)/\(b)" else { return s }
        return "\\frac{\(a)}{\(b)}"
    }

    private static func lastIndex(of needle: String, in s: [Unicode.Scalar]) -> Int? {
        let n = Array(needle.unicodeScalars)
        guard s.count >= n.count else { return nil }
        for i in stride(from: s.count - n.count, through: 0, by: -1) where s[i..<(i + n.count)].elementsEqual(n) {
            return i
        }
        return nil
    }
}
