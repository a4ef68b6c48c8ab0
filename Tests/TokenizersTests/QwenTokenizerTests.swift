import Foundation
import TestSupport
@testable import Tokenizers
import XCTest

/// Qwen2.5-Coder's tokenizer read from both real GGUF files against Transformers' tokenizer of
/// the same file with Qwen2's NFC normalizer (fixture qwen2.json, made by
/// scripts/fixtures/make_qwen_tokenizer_fixtures.py): every id of every input must agree.
final class QwenTokenizerTests: XCTestCase {
    static let sizes = ["0.5B", "1.5B"]

    func testIdsAndDecodesMatchReference() throws {
        let fx = try TokenizerFixtures.object("qwen2.json")
        let stress = try TokenizerFixtures.stress()
        let corpus = try XCTUnwrap((fx["corpus"] as? [String: Any])?["texts"] as? [String])
        XCTAssertEqual((fx["stress"] as? [String: Any])?["texts"] as? [String], stress, "stress.json differs from the inputs of qwen2.json")
        let groups: [(String, [String])] = [("corpus", corpus), ("stress", stress),
                                            ("gsm8k_test", try TokenizerFixtures.gsm8kTest()),
                                            ("math500", try TokenizerFixtures.math500())]
        for size in QwenTokenizerTests.sizes {
            let tok = try TokenizerFixtures.qwen(size)
            var compared = 0
            for (group, texts) in groups {
                let g = try XCTUnwrap(fx[group] as? [String: Any], group)
                XCTAssertEqual(g["count"] as? Int, texts.count, "\(group) differs from the file the fixture was made from")
                let want = try TokenizerFixtures.ids(g["ids"])
                assertSameIds(tok.encodeBatch(texts).map(\.ids), want, inputs: texts, "Qwen \(size) \(group)")
                let roundtrip = try XCTUnwrap(g["roundtrip"] as? [Bool])
                for (i, ids) in want.enumerated() {
                    // Scalar by scalar: Swift's `==` would call NFC output equal to a decomposed input.
                    let same = tok.decode(ids).unicodeScalars.elementsEqual(texts[i].unicodeScalars)
                    XCTAssertEqual(same, roundtrip[i], "Qwen \(size) \(group) round trip #\(i)")
                }
                XCTAssertEqual(roundtrip.filter { !$0 }.count, group == "corpus" || group == "stress" ? 1 : 0,
                               "\(group): only the NFC inputs decode to other scalars")
                if let decoded = g["decoded"] as? [String], let skip = g["decoded_skip_special"] as? [String] {
                    for (i, ids) in want.enumerated() {
                        XCTAssertEqual(scalars(tok.decode(ids)), scalars(decoded[i]), "Qwen \(size) \(group) decode #\(i)")
                        XCTAssertEqual(scalars(tok.decode(ids, skipSpecialTokens: true)), scalars(skip[i]),
                                       "Qwen \(size) \(group) decode (skip special) #\(i)")
                    }
                }
                compared += texts.count
            }
            XCTAssertEqual(compared, 44 + 41 + 2638 + 1000)
        }
    }

    private func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

    /// The cases where Qwen differs from the other tokenizers, spelled out.
    func testDigitsSplitSinglyAndTextIsNFC() throws {
        let tok = try TokenizerFixtures.qwen("0.5B")
        let digits = tok.encode("12345").ids
        XCTAssertEqual(digits.count, 5)
        XCTAssertEqual(digits.map { tok.decode([$0]) }, ["1", "2", "3", "4", "5"])
        XCTAssertEqual(tok.encode("e\u{301}").ids, tok.encode("\u{e9}").ids, "decomposed é encodes as the composed one")
        XCTAssertEqual(tok.encode("<|im_start|>user").ids.first, 151644)
        XCTAssertEqual(tok.encode("<tool_call>").ids, [151657])
    }

    func testMetadataOfBothFiles() throws {
        for size in QwenTokenizerTests.sizes {
            let tok = try TokenizerFixtures.qwen(size)
            XCTAssertEqual(tok.vocabularySize, 151_936)
            XCTAssertEqual(tok.bosTokenId, 151_643)
            XCTAssertEqual(tok.eosTokenId, 151_645)
            XCTAssertEqual(tok.padTokenId, 151_643)
            XCTAssertEqual(tok.token(for: 151_645), "<|im_end|>")
            // 20 control tokens are special; <tool_call> and </tool_call> are plain added tokens.
            XCTAssertEqual(tok.addedTokens.filter(\.special).count, 20)
            XCTAssertEqual(tok.addedTokens.filter { !$0.special }.map(\.content), ["<tool_call>", "</tool_call>"])
            XCTAssertEqual(tok.decode([151657, 151645], skipSpecialTokens: true), "<tool_call>")
        }
    }
}
