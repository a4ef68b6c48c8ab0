import Foundation
import TestSupport

/// What a real llama.cpp computed on one model and case, recorded by
/// scripts/llama_cpp_parity.py in `Tests/Fixtures/llamacpp/<model>-<case>.json`: per prompt the
/// token ids, the top-k logits and the logits at fixed probe ids at every position, and the
/// greedy continuation with the top-2 margin of each step.
struct LlamaCppFixture {
    struct Position {
        let position: Int
        let topIds: [Int]
        let topLogits: [Float]
        let probeLogits: [Float]
    }

    struct Prompt {
        let name: String
        let tokens: [Int]
        let positions: [Position]
        let greedyTokens: [Int]
        let greedyMargins: [Float]
        /// The whole last-position row (`n_vocab` float32), relative to the lorasb cache; only on
        /// the machine that made the fixture.
        let fullLogits: String?
    }

    let name: String
    let modelFile: String
    /// The adapter folder, relative to the repository root; nil for the base model.
    let adapter: String?
    let vocabSize: Int
    let probeIds: [Int]
    let prompts: [Prompt]

    static var directory: URL { TestPaths.fixtures.appendingPathComponent("llamacpp") }
    static func url(_ name: String) -> URL { directory.appendingPathComponent("\(name).json") }
    static func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url(name).path) }

    /// The lorasb cache the full logit rows were written under (`LORASB_CACHE`, else ~/.cache/lorasb).
    static var cache: URL {
        if let p = ProcessInfo.processInfo.environment["LORASB_CACHE"] { return URL(fileURLWithPath: p) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lorasb")
    }

    init(_ name: String) throws {
        self.name = name
        let data = try Data(contentsOf: Self.url(name))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(message: "\(name).json is not an object")
        }
        func ints(_ value: Any?) -> [Int] { (value as? [NSNumber] ?? []).map(\.intValue) }
        func floats(_ value: Any?) -> [Float] { (value as? [NSNumber] ?? []).map(\.floatValue) }
        modelFile = json["model"] as? String ?? ""
        adapter = json["adapter"] as? String
        vocabSize = (json["n_vocab"] as? NSNumber)?.intValue ?? 0
        probeIds = ints(json["probe_ids"])
        prompts = (json["prompts"] as? [[String: Any]] ?? []).map { p in
            Prompt(name: p["name"] as? String ?? "", tokens: ints(p["tokens"]),
                   positions: (p["positions"] as? [[String: Any]] ?? []).map { q in
                       Position(position: (q["position"] as? NSNumber)?.intValue ?? -1, topIds: ints(q["top_ids"]),
                                topLogits: floats(q["top_logits"]), probeLogits: floats(q["probe_logits"]))
                   },
                   greedyTokens: ints(p["greedy_tokens"]), greedyMargins: floats(p["greedy_margins"]),
                   fullLogits: p["full_logits"] as? String)
        }
        guard !prompts.isEmpty, vocabSize > 0 else { throw FixtureError(message: "\(name).json has no prompts") }
    }

    var adapterURL: URL? { adapter.map { TestPaths.repoRoot.appendingPathComponent($0) } }

    /// llama.cpp's whole last-position row of `prompt`, when its file is on this machine.
    func fullLastRow(_ prompt: Prompt) -> [Float]? {
        guard let path = prompt.fullLogits,
              let data = FileManager.default.contents(atPath: Self.cache.appendingPathComponent(path).path),
              data.count == vocabSize * MemoryLayout<Float>.size else { return nil }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
