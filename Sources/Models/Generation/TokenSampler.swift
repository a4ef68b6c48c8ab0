import Foundation
import Tensor

/// Picks the next token from a row of logits: argmax, or temperature / top-k / top-p sampling
/// from a seeded generator.
public struct TokenSampler {
    public let options: GenerationOptions
    private var generator: SeededGenerator

    public init(options: GenerationOptions) {
        self.options = options
        generator = SeededGenerator(seed: options.seed)
    }

    public mutating func next(_ logits: UnsafePointer<Float>, vocab: Int) -> Int {
        var best = 0
        for j in 1..<vocab where logits[j] > logits[best] { best = j }
        if options.temperature <= 0 { return best }
        var candidates = Array(0..<vocab)
        if options.topK > 0 && options.topK < vocab {
            candidates.sort { logits[$0] > logits[$1] }
            candidates.removeLast(vocab - options.topK)
        }
        let inv = 1 / options.temperature
        let m = logits[best]
        var probs = candidates.map { Double(exp((logits[$0] - m) * inv)) }
        var total = probs.reduce(0, +)
        if options.topP < 1 {
            let order = probs.indices.sorted { probs[$0] > probs[$1] }
            var kept: [Int] = [], mass = 0.0
            for i in order {
                kept.append(i)
                mass += probs[i] / total
                if mass >= Double(options.topP) { break }
            }
            candidates = kept.map { candidates[$0] }
            probs = kept.map { probs[$0] }
            total = probs.reduce(0, +)
        }
        var u = Double.random(in: 0..<1, using: &generator) * total
        for (i, p) in probs.enumerated() {
            u -= p
            if u < 0 { return candidates[i] }
        }
        return candidates[candidates.count - 1]
    }
}
