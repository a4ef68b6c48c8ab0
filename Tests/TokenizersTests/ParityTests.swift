import Foundation
import TestSupport
@testable import Tokenizers
import XCTest

/// Ids, pairs, truncation, padding and decoding of both real tokenizers against the reference
/// fixtures: every input must agree.
final class ParityTests: XCTestCase {
    private func check(_ tok: Tokenizer, fixture name: String, decodesGSM8K: Bool) throws {
        let fx = try TokenizerFixtures.object(name)
        let stress = try TokenizerFixtures.stress()
        let gsm = try TokenizerFixtures.gsm8kTest()

        let s = try XCTUnwrap(fx["stress"] as? [String: Any])
        let stressIds = stress.map { tok.encode($0).ids }
        assertSameIds(stressIds, try TokenizerFixtures.ids(s["ids"]), inputs: stress, "\(name) stress")
        let decoded = try XCTUnwrap(s["decoded"] as? [String])
        let decodedSkip = try XCTUnwrap(s["decoded_skip_special"] as? [String])
        for (i, ids) in try TokenizerFixtures.ids(s["ids"]).enumerated() {
            XCTAssertEqual(tok.decode(ids), decoded[i], "\(name) stress decode #\(i)")
            XCTAssertEqual(tok.decode(ids, skipSpecialTokens: true), decodedSkip[i], "\(name) stress decode (skip special) #\(i)")
        }

        let g = try XCTUnwrap(fx["gsm8k_test"] as? [String: Any])
        XCTAssertEqual(g["count"] as? Int, gsm.count, "GSM8K test file differs from the one the fixture was made from")
        let wantGSM = try TokenizerFixtures.ids(g["ids"])
        assertSameIds(gsm.map { tok.encode($0).ids }, wantGSM, inputs: gsm, "\(name) GSM8K test")
        let roundtrip = try XCTUnwrap(g["roundtrip"] as? [Bool])
        let prefix = try XCTUnwrap(g["decoded_prefix"] as? [String])
        for (i, ids) in wantGSM.enumerated() {
            let d = tok.decode(ids)
            if i < prefix.count { XCTAssertEqual(d, prefix[i], "\(name) GSM8K decode #\(i)") }
            XCTAssertEqual(d == gsm[i], roundtrip[i], "\(name) GSM8K round trip #\(i)")
        }
        if decodesGSM8K { XCTAssertTrue(roundtrip.allSatisfy { $0 }) }

        let p = try XCTUnwrap(fx["pairs"] as? [String: Any])
        let pairs = TokenizerFixtures.pairs(gsm: gsm, stress: stress)
        let encodedPairs = pairs.map { tok.encode($0.0, pair: $0.1) }
        let labels = pairs.map { "\($0.0.prefix(40)) | \($0.1.prefix(40))" }
        assertSameIds(encodedPairs.map(\.ids), try TokenizerFixtures.ids(p["ids"]), inputs: labels, "\(name) pairs")
        assertSameIds(encodedPairs.map(\.typeIds), try TokenizerFixtures.ids(p["type_ids"]), inputs: labels, "\(name) pair type ids")

        let t = try XCTUnwrap(fx["truncated"] as? [String: Any])
        let maxLength = try XCTUnwrap(t["max_length"] as? Int), padLength = try XCTUnwrap(t["pad_length"] as? Int)
        let padId = try XCTUnwrap(tok.padTokenId ?? tok.id(for: "[PAD]"))
        let trunc = TruncationOptions(maxLength: maxLength)
        let pad = PaddingOptions(length: padLength, padId: padId)
        let singles = Array(gsm.prefix(20)) + stress
        let wantSingle = try XCTUnwrap(t["single"] as? [[String: Any]])
        for (i, text) in singles.enumerated() {
            let e = tok.encode(text, truncation: trunc, padding: pad)
            XCTAssertEqual(e.ids, wantSingle[i]["ids"] as? [Int], "\(name) truncated #\(i)")
            XCTAssertEqual(e.typeIds, wantSingle[i]["type_ids"] as? [Int], "\(name) truncated type ids #\(i)")
            XCTAssertEqual(e.attentionMask, wantSingle[i]["attention_mask"] as? [Int], "\(name) truncated mask #\(i)")
        }
        let wantPair = try XCTUnwrap(t["pair"] as? [[String: Any]])
        for (i, (a, b)) in pairs.prefix(20).enumerated() {
            let e = tok.encode(a, pair: b, truncation: trunc, padding: pad)
            XCTAssertEqual(e.ids, wantPair[i]["ids"] as? [Int], "\(name) truncated pair #\(i)")
            XCTAssertEqual(e.typeIds, wantPair[i]["type_ids"] as? [Int], "\(name) truncated pair type ids #\(i)")
            XCTAssertEqual(e.attentionMask, wantPair[i]["attention_mask"] as? [Int], "\(name) truncated pair mask #\(i)")
        }
    }

    func testMiniLMMatchesReference() throws {
        try check(TokenizerFixtures.miniLM(), fixture: "minilm.json", decodesGSM8K: false)
    }

    func testSmolLM2MatchesReference() throws {
        try check(TokenizerFixtures.smolLM2(), fixture: "smollm2.json", decodesGSM8K: true)
    }
}

/// What the GGUF reader hands over: the metadata of the real file.
final class GGUFTokenizerTests: XCTestCase {
    func testRealGGUFMetadata() throws {
        let tok = try TokenizerFixtures.smolLM2()
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual(tok.bosTokenId, 1)
        XCTAssertEqual(tok.eosTokenId, 2)
        XCTAssertEqual(tok.padTokenId, 2)
        XCTAssertEqual(tok.addedTokens.count, 17)
        XCTAssertTrue(tok.addedTokens.allSatisfy(\.special))
        XCTAssertEqual(tok.token(for: 1), "<|im_start|>")
        let chat = try TokenizerFixtures.object("chat_templates.json")
        XCTAssertEqual(tok.chatTemplate, (chat["templates"] as? [String: String])?["smollm2"])
    }

    func testUnsupportedVocabulariesAreRefusedByName() {
        let v = GGUFVocabulary(model: "llama", pre: nil, tokens: ["a"], merges: [], tokenTypes: [1])
        XCTAssertThrowsError(try Tokenizer.fromGGUFVocabulary(v, source: "x.gguf")) { e in
            XCTAssertTrue("\(e)".contains("tokenizer.ggml.model = llama"), "\(e)")
        }
        let w = GGUFVocabulary(model: "gpt2", pre: "mystery", tokens: ["a"], merges: [], tokenTypes: [1])
        XCTAssertThrowsError(try Tokenizer.fromGGUFVocabulary(w, source: "x.gguf")) { e in
            XCTAssertTrue("\(e)".contains("mystery"), "\(e)")
        }
        let bad = GGUFVocabulary(model: "gpt2", pre: "smollm", tokens: ["a", "b"], merges: ["a c"], tokenTypes: [1, 1])
        XCTAssertThrowsError(try Tokenizer.fromGGUFVocabulary(bad, source: "x.gguf"))
        let badId = GGUFVocabulary(model: "gpt2", pre: "smollm", tokens: ["a"], merges: [], tokenTypes: [1], bosTokenId: 7)
        XCTAssertThrowsError(try Tokenizer.fromGGUFVocabulary(badId, source: "x.gguf"))
    }
}
