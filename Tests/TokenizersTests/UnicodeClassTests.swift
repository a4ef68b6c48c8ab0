import Foundation
@testable import Tokenizers
import XCTest

/// Every code point's class, against the reference tokenizers probed code point by code point
/// (fixture unicode_classes.json): the pattern classes of the GPT-2 pre-tokenizer and BERT's
/// text cleaning.
final class UnicodeClassTests: XCTestCase {
    /// Expands runs `[first code point, class]` into a lookup.
    private func runs(_ key: String) throws -> (Int) -> Int {
        let o = try TokenizerFixtures.object("unicode_classes.json")
        let list = try XCTUnwrap(o[key] as? [[Int]])
        let starts = list.map { $0[0] }, classes = list.map { $0[1] }
        return { cp in
            var lo = 0, hi = starts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= cp { lo = mid } else { hi = mid - 1 }
            }
            return classes[lo]
        }
    }

    func testPatternClassesMatchReferenceForEveryCodePoint() throws {
        let want = try runs("gpt2")
        var mismatches: [String] = []
        for cp in 0..<0x110000 {
            guard let s = Unicode.Scalar(cp) else { continue }
            let got: Int
            switch ScalarClass.of(s) {
            case .letter: got = 0
            case .number: got = 1
            case .whitespace: got = 2
            case .other: got = 3
            }
            if got != want(cp) { mismatches.append(String(format: "U+%04X got %d want %d", cp, got, want(cp))) }
        }
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.count) code points differ: \(mismatches.prefix(20))")
    }

    func testBertCleaningMatchesReferenceForEveryCodePoint() throws {
        let want = try runs("bert_clean")
        let clean = Normalizer.bert(cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false)
        var mismatches: [String] = []
        for cp in 0..<0x110000 {
            guard let s = Unicode.Scalar(cp) else { continue }
            let r = clean.normalize([s])
            let got = r.isEmpty ? 1 : (r == [" "] && cp != 0x20 ? 2 : 0)
            if got != want(cp) { mismatches.append(String(format: "U+%04X got %d want %d", cp, got, want(cp))) }
        }
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.count) code points differ: \(mismatches.prefix(20))")
    }
}
