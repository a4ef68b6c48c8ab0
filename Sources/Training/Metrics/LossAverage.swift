import Foundation

/// A running mean of a per-token (or per-example) loss across batches, weighted by how many
/// targets each batch had, so the mean is the dataset's mean and not a mean of batch means.
public struct LossAverage: Equatable, Sendable, Codable {
    /// The sum of the loss over all targets seen.
    public private(set) var total: Double = 0
    /// Targets seen.
    public private(set) var count: Int = 0

    public init() {}

    /// Adds a batch whose mean loss over `count` targets was `meanLoss`.
    public mutating func add(meanLoss: Double, count: Int) {
        precondition(count >= 0, "target count must be ≥ 0")
        total += meanLoss * Double(count)
        self.count += count
    }

    /// Adds a batch whose summed loss over `count` targets was `summedLoss`.
    public mutating func add(summedLoss: Double, count: Int) {
        precondition(count >= 0, "target count must be ≥ 0")
        total += summedLoss
        self.count += count
    }

    /// The mean loss (NaN before anything was added).
    public var mean: Double { count == 0 ? .nan : total / Double(count) }

    /// exp(mean loss): the perplexity when the loss is the per-token cross-entropy in nats.
    public var perplexity: Double { exp(mean) }
}
