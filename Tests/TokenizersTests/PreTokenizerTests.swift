import Foundation
@testable import Tokenizers
import XCTest

/// The hand-written pattern scanners cut text exactly where the Rust regex engine does
/// (fixture pretokenize.json: Split/Isolated with the GPT-2, Llama 3 and Qwen 2 patterns,
/// Digits, BertPreTokenizer, over the stress inputs and GSM8K texts).
final class PreTokenizerTests: XCTestCase {
    private func pieces(_ pre: PreTokenizer, _ text: String) -> [String] {
        var buffer = Array(text.unicodeScalars)
        var scratch: [ScalarClass] = []
        return pre.split(&buffer, [0..<buffer.count], scratch: &scratch).map { String(scalars: buffer[$0]) }
    }

    func testPiecesMatchReference() throws {
        let fx = try TokenizerFixtures.object("pretokenize.json")
        let inputs = try XCTUnwrap(fx["inputs"] as? [String])
        let cases: [(String, PreTokenizer)] = [
            ("gpt2", .split(.gpt2)), ("llama3", .split(.llama3)), ("qwen2", .split(.qwen2)),
            ("digits", .digits(individual: true)), ("bert", .bert),
        ]
        for (name, pre) in cases {
            let want = try XCTUnwrap(fx[name] as? [[String]], name)
            XCTAssertEqual(want.count, inputs.count)
            var bad = 0
            for (i, text) in inputs.enumerated() {
                let got = pieces(pre, text)
                if got != want[i] {
                    bad += 1
                    if bad <= 3 { XCTFail("\(name) #\(i) \(text.debugDescription.prefix(120)):\n got  \(got.map(\.debugDescription).prefix(30))\n want \(want[i].map(\.debugDescription).prefix(30))") }
                }
            }
            XCTAssertEqual(bad, 0, "\(name): \(inputs.count - bad)/\(inputs.count) inputs agree")
        }
    }

    func testKnownPatternSourcesAreRecognised() {
        XCTAssertEqual(SplitPattern(regex: SplitPattern.gpt2Source), .gpt2)
        XCTAssertEqual(SplitPattern(regex: SplitPattern.llama3Source), .llama3)
        XCTAssertEqual(SplitPattern(regex: SplitPattern.qwen2Source), .qwen2)
        XCTAssertNil(SplitPattern(regex: #"\w+"#))
    }
}

/// Small `tokenizer.json` files of the other shapes real models use (Llama 3: Split pattern,
/// `ignore_merges`, BOS template, merges as pairs; Qwen 2: merges as strings; Llama 2:
/// byte-fallback BPE with Prepend/Replace normalizers and a Replace/ByteFallback/Fuse/Strip
/// decoder), each against the reference ids and decodes (fixture synthetic.json).
final class SyntheticTokenizerTests: XCTestCase {
    func testSyntheticTokenizersMatchReference() throws {
        let fx = try TokenizerFixtures.object("synthetic.json")
        let inputs = try XCTUnwrap(fx["inputs"] as? [String])
        let pairInputs = try XCTUnwrap(fx["pair_inputs"] as? [[String]])
        let all = try XCTUnwrap(fx["tokenizers"] as? [String: Any])
        XCTAssertEqual(Set(all.keys), ["llama3_style", "qwen2_style", "llama2_style"])
        for (name, value) in all {
            let t = try XCTUnwrap(value as? [String: Any])
            let json = try JSONSerialization.data(withJSONObject: try XCTUnwrap(t["tokenizer"]))
            let tok = try Tokenizer(tokenizerJSON: json, source: name)
            let want = try TokenizerFixtures.ids(t["ids"])
            assertSameIds(inputs.map { tok.encode($0).ids }, want, inputs: inputs, name)
            let decoded = try XCTUnwrap(t["decoded"] as? [String])
            var badDecodes = 0
            for (i, ids) in want.enumerated() where tok.decode(ids) != decoded[i] {
                badDecodes += 1
                if badDecodes <= 3 { XCTFail("\(name) decode #\(i): \(tok.decode(ids).debugDescription) vs \(decoded[i].debugDescription)") }
            }
            let pairs = try TokenizerFixtures.ids(t["pair_ids"])
            assertSameIds(pairInputs.map { tok.encode($0[0], pair: $0[1]).ids }, pairs,
                          inputs: pairInputs.map { $0.joined(separator: " | ") }, "\(name) pairs")
        }
    }
}
