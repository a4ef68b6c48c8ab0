import Foundation

/// Scoring of GSM8K answers: the number after `####` in the reference against the last number of
/// the generated text, compared as numbers (so "18", "18.00" and "$18." agree).
public enum GSM8KAnswer {
    /// The reference answer: the text after the last `####`, commas removed, as a number.
    /// Nil when there is no `####` or what follows is not a number.
    public static func reference(_ answer: String) -> Double? {
        guard let marker = answer.range(of: "####", options: .backwards) else { return nil }
        let text = answer[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ",", with: "")
            .replacingOccurrences(of: "$", with: "")
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }

    /// The last number in `text`, as a model writes it: digits with optional thousands commas
    /// (`1,234`), an optional decimal part (`3.5`, `.5`), an optional minus sign directly before
    /// it (or before a `$`), which counts only when not preceded by a letter or digit (in `3-4`
    /// the last number is 4, not −4). A currency `$` and a sentence's final period are not part
    /// of the number. Nil when the text holds no digit.
    public static func lastNumber(in text: String) -> Double? {
        let s = Array(text.unicodeScalars)
        func isDigit(_ i: Int) -> Bool { i >= 0 && i < s.count && ("0"..."9").contains(s[i]) }
        func isWordCharacter(_ i: Int) -> Bool {
            i >= 0 && i < s.count && (s[i].properties.isAlphabetic || isDigit(i))
        }
        var last: Double?
        var i = 0
        while i < s.count {
            // A number starts at a digit, or at a point followed by a digit (".5").
            let startsHere = (isDigit(i) && !isDigit(i - 1)) || (s[i] == "." && isDigit(i + 1) && !isDigit(i - 1))
            guard startsHere else { i += 1; continue }
            var negative = false
            var before = i - 1
            if before >= 0 && s[before] == "$" { before -= 1 }
            if before >= 0 && s[before] == "-" && !isWordCharacter(before - 1) { negative = true }
            var digits = ""
            var j = i
            if s[j] == "." { digits = "0" }
            else {
                while j < s.count {
                    if isDigit(j) { digits.unicodeScalars.append(s[j]); j += 1 }
                    else if s[j] == "," && isDigit(j + 1) && isDigit(j - 1) { j += 1 }
                    else { break }
                }
            }
            if j < s.count && s[j] == "." && isDigit(j + 1) {
                digits += "."
                j += 1
                while isDigit(j) { digits.unicodeScalars.append(s[j]); j += 1 }
            }
            if let value = Double(digits), value.isFinite { last = negative ? -value : value }
            i = j
        }
        return last
    }

    /// Whether the last number of `generated` equals the reference number of `referenceAnswer`
    /// (to a relative 1e-9, which only forgives the binary rounding of decimals).
    public static func isCorrect(generated: String, referenceAnswer: String) -> Bool {
        guard let expected = reference(referenceAnswer), let predicted = lastNumber(in: generated) else {
            return false
        }
        return abs(predicted - expected) <= 1e-9 * max(1, abs(expected))
    }
}
