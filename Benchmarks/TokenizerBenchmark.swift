import Foundation
import LoRASB

/// Tokens per second encoding every question and answer of GSM8K train on one thread, for
/// SmolLM2 (byte-level BPE from the GGUF) and all-MiniLM-L6-v2 (WordPiece), against the
/// Rust-backed Hugging Face `tokenizers` run in the same process tree
/// (Benchmarks/reference/tokenizer_bench.py, through the reference Python environment when it
/// exists: `LORASB_VENV` or ~/.cache/lorasb/venv).
func runTokenizerBenchmark() {
    do {
        try TokenizerBenchmark.run()
    } catch {
        print("tokenizer benchmark failed: \(error)")
    }
}

enum TokenizerBenchmark {
    static let passes = 3

    static func run() throws {
        let env = ProcessInfo.processInfo.environment
        let home = FileManager.default.homeDirectoryForCurrentUser
        let models = env["LORASB_MODELS"].map { URL(fileURLWithPath: $0) } ?? home.appendingPathComponent(".cache/lorasb/models")
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let data = env["LORASB_DATA"].map { URL(fileURLWithPath: $0) } ?? repo.deletingLastPathComponent().appendingPathComponent("shared/data")
        let train = data.appendingPathComponent("gsm8k/train.jsonl")
        let gguf = models.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
        let miniLM = models.appendingPathComponent("all-MiniLM-L6-v2")

        var inputs: [String] = []
        for line in try String(contentsOf: train, encoding: .utf8).split(separator: "\n") {
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let q = row["question"] as? String, let a = row["answer"] as? String else { continue }
            inputs += [q, a]
        }
        let bytes = inputs.reduce(0) { $0 + $1.utf8.count }
        print("tokenizer: GSM8K train, \(inputs.count) texts, \(bytes) bytes, one thread, \(passes) passes (first pass with an empty word cache)")

        var ours: [String: (tokens: Int, seconds: [Double])] = [:]
        for (name, url) in [("smollm2", gguf), ("minilm", miniLM)] {
            let tokenizer = try Tokenizer.load(model: url)
            var seconds: [Double] = []
            var tokens = 0
            for _ in 0..<passes {
                let t0 = DispatchTime.now().uptimeNanoseconds
                var n = 0
                for text in inputs { n += tokenizer.encode(text).count }
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                tokens = n
            }
            ours[name] = (tokens, seconds)
            print("  \(name) lorasb pass seconds: \(seconds.map { String(format: "%.3f", $0) }.joined(separator: " "))")
        }

        let reference = referenceResult(script: repo.appendingPathComponent("Benchmarks/reference/tokenizer_bench.py"),
                                        args: [train.path, gguf.path, miniLM.path])
        for name in ["smollm2", "minilm"] {
            guard let o = ours[name] else { continue }
            let best = o.seconds.min() ?? 0, first = o.seconds.first ?? 0
            var line = String(format: "  %-8@ lorasb: %d tokens, %.0f tokens/s (first pass %.0f)", name as NSString,
                              o.tokens, Double(o.tokens) / best, Double(o.tokens) / first)
            if let r = reference?[name] as? [String: Any], let rt = r["tokens"] as? Int,
               let rs = (r["seconds"] as? [Double]), let rbest = rs.min(), let rfirst = rs.first {
                print("  \(name) HF pass seconds: \(rs.map { String(format: "%.3f", $0) }.joined(separator: " "))")
                line += String(format: " | HF tokenizers: %d tokens, %.0f tokens/s (first pass %.0f) | ratio %.2fx (first pass %.2fx)%@",
                               rt, Double(rt) / rbest, Double(rt) / rfirst, rbest / best, rfirst / first,
                               (rt == o.tokens ? "" : "  TOKEN COUNTS DIFFER") as NSString)
            }
            print(line)
        }
        if reference == nil { print("  (reference skipped: no Python environment with `tokenizers` and `transformers`)") }
    }

    private static func referenceResult(script: URL, args: [String]) -> [String: Any]? {
        let env = ProcessInfo.processInfo.environment
        let venv = env["LORASB_VENV"] ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lorasb/venv").path
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script.path] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
    }
}
