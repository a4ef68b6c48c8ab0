import Foundation
import TestSupport
@testable import Tokenizers
import XCTest

/// Inputs that break naive tokenizers: empty text, invalid UTF-8, a 10 MB line, a megabyte
/// without a space; and files that are not tokenizers.
final class RobustnessTests: XCTestCase {
    func testEmptyInput() throws {
        let smol = try TokenizerFixtures.smolLM2(), mini = try TokenizerFixtures.miniLM()
        XCTAssertEqual(smol.encode("").ids, [])
        XCTAssertEqual(mini.encode("").ids, [101, 102])
        XCTAssertEqual(mini.encode("", pair: "").typeIds, [0, 0, 1])
        XCTAssertEqual(smol.decode([]), "")
        XCTAssertEqual(smol.encode(bytes: []).ids, [])
    }

    func testInvalidUTF8BecomesReplacementCharacters() throws {
        let smol = try TokenizerFixtures.smolLM2()
        let bytes: [UInt8] = [0x6F, 0x6B, 0xFF, 0xFE, 0xC3, 0x28, 0xE2, 0x82, 0x62, 0x61, 0x64, 0xF0, 0x9F]
        let e = smol.encode(bytes: bytes)
        let lossy = String(decoding: bytes, as: UTF8.self)
        XCTAssertEqual(e.ids, smol.encode(lossy).ids)
        XCTAssertEqual(smol.decode(e.ids), lossy)
        XCTAssertTrue(lossy.unicodeScalars.contains("\u{FFFD}"))
        // Out-of-range ids are skipped, not trapped on.
        XCTAssertEqual(smol.decode([-5, 1 << 40, 19556]), "Hello")
    }

    private func gsmLine(bytes: Int) throws -> String {
        let texts = try TokenizerFixtures.gsm8kTest()
        var line = ""
        var k = 0
        while line.utf8.count < bytes {
            line += texts[k % texts.count].replacingAll("\n", with: " ") + " "
            k += 1
        }
        return line
    }

    func testTenMegabyteSingleLineIsLinear() throws {
        let smol = try TokenizerFixtures.smolLM2(), mini = try TokenizerFixtures.miniLM()
        let big = try gsmLine(bytes: 10_000_000)
        let small = String(big.unicodeScalars.prefix(1_000_000).map(Character.init))
        for tok in [smol, mini] {
            _ = tok.encode(small)   // warm the word cache
            var t0 = Date()
            let smallIds = tok.encode(small).ids
            let tSmall = Date().timeIntervalSince(t0)
            t0 = Date()
            let bigIds = tok.encode(big).ids
            let tBig = Date().timeIntervalSince(t0)
            XCTAssertGreaterThan(bigIds.count, 8 * smallIds.count)
            XCTAssertLessThan(tBig, 30 * max(tSmall, 0.01), "10 MB took \(tBig) s, 1 MB \(tSmall) s: not linear")
        }
        XCTAssertEqual(smol.decode(smol.encode(big).ids), big)
    }

    func testMegabyteWithoutSpaces() throws {
        let smol = try TokenizerFixtures.smolLM2(), mini = try TokenizerFixtures.miniLM()
        var word = ""
        let letters = Array("thequickbrownfoxjumpsoverthelazydog".unicodeScalars)
        for k in 0..<1_000_000 { word.unicodeScalars.append(letters[(k * 7 + k / 13) % letters.count]) }
        let t0 = Date()
        let ids = smol.encode(word).ids
        XCTAssertLessThan(Date().timeIntervalSince(t0), 20)
        XCTAssertEqual(smol.decode(ids), word)
        XCTAssertLessThan(ids.count, 1_000_000)   // merges happened
        XCTAssertEqual(mini.encode(word).ids, [101, 100, 102])   // longer than 100 characters: [UNK]
    }

    /// The O(n log n) merge used for long words gives exactly the simple merge's result.
    func testLongWordMergeEqualsSimpleMerge() throws {
        guard case let .bpe(bpe) = try TokenizerFixtures.smolLM2().model else { return XCTFail("not BPE") }
        let texts = try TokenizerFixtures.gsm8kTest()
        var compared = 0
        for k in stride(from: 0, to: 400, by: 3) {
            let s = texts[k].unicodeScalars.filter { $0 != " " }
            let word = Array(s.prefix(30 + k % 170))
            var bytes: [UInt8] = []
            for c in word { appendUTF8(c, to: &bytes) }
            var a = bpe.initialSymbols(word[...], bytes: bytes)
            var b = a
            bpe.mergeShort(&a)
            bpe.mergeLong(&b)
            XCTAssertEqual(a, b, String(scalars: word))
            compared += 1
        }
        XCTAssertGreaterThan(compared, 100)
    }

    func testBadTokenizerFilesGiveNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lorasb-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let real = try Data(contentsOf: TestPaths.require(TestPaths.miniLM.appendingPathComponent("tokenizer.json")))
        let cases: [(String, Data, String)] = [
            ("truncated.json", real.prefix(real.count / 2), "invalid JSON"),
            ("array.json", Data("[1,2]".utf8), "not a JSON object"),
            ("nomodel.json", Data(#"{"added_tokens": []}"#.utf8), "no model"),
            ("badmerge.json", Data(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#.utf8), "merge #0"),
            ("badid.json", Data(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": "x"}}}"#.utf8), "not an integer"),
            ("unigram.json", Data(#"{"model": {"type": "Unigram", "vocab": {}}}"#.utf8), "model Unigram"),
            ("regex.json", Data(#"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}}, "model": {"type": "BPE", "vocab": {}, "merges": []}}"#.utf8), "pattern"),
        ]
        for (name, data, expected) in cases {
            let url = dir.appendingPathComponent(name)
            try data.write(to: url)
            XCTAssertThrowsError(try Tokenizer.load(tokenizerJSON: url), name) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains(name) && m.contains(expected), "\(name): \(m)")
            }
        }
        XCTAssertThrowsError(try Tokenizer.load(tokenizerJSON: dir.appendingPathComponent("missing.json")))
    }
}

final class BatchTests: XCTestCase {
    func testBatchEqualsOneByOneAndPadsToLongest() throws {
        let mini = try TokenizerFixtures.miniLM()
        let texts = Array(try TokenizerFixtures.gsm8kTest().prefix(300))
        let batch = mini.encodeBatch(texts, padToLongest: true)
        let longest = texts.map { mini.encode($0).count }.max() ?? 0
        XCTAssertEqual(batch.count, texts.count)
        for (i, e) in batch.enumerated() {
            let single = mini.encode(texts[i])
            XCTAssertEqual(e.count, longest)
            XCTAssertEqual(Array(e.ids.prefix(single.count)), single.ids)
            XCTAssertEqual(e.attentionMask.filter { $0 == 1 }.count, single.count)
            XCTAssertTrue(e.ids.suffix(longest - single.count).allSatisfy { $0 == 0 })
        }
        let smol = try TokenizerFixtures.smolLM2()
        let pairs = smol.encodeBatch(Array(texts.prefix(10)), pairs: Array(texts.dropFirst(10).prefix(10)), padLength: 1000, padLeft: true)
        for e in pairs {
            XCTAssertEqual(e.count, 1000)
            XCTAssertEqual(e.ids.first, 2)
            XCTAssertEqual(e.attentionMask.first, 0)
        }
    }
}
