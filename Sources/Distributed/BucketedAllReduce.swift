import Tensor

/// Sums tensors over all processes in place, packed into buckets of at most `bucketElements`
/// floats so that a step makes a few large all-reduce calls instead of one per tensor (hundreds
/// of small messages would be latency-bound), with one bucket of extra memory.
public struct BucketedAllReduce {
    /// 4 Mi floats (16 MB): large enough that a LoRA-SB or LoRA step is one call.
    public static let defaultBucketElements = 1 << 22

    public let communicator: any Communicator
    public let bucketElements: Int
    private var bucket: [Float] = []

    public init(_ communicator: any Communicator, bucketElements: Int = defaultBucketElements) {
        precondition(bucketElements > 0, "a bucket holds at least one float")
        self.communicator = communicator
        self.bucketElements = bucketElements
    }

    /// Replaces every tensor by its sum over all processes; returns the bytes each process
    /// contributed (0 in a world of one, which is left untouched).
    @discardableResult
    public mutating func sum(_ tensors: [Tensor]) throws -> Int {
        guard communicator.isDistributed else { return 0 }
        if bucket.isEmpty { bucket = [Float](repeating: 0, count: bucketElements) }
        var pending: [(tensor: Tensor, from: Int, count: Int)] = []
        var filled = 0
        var bytes = 0
        func flush() throws {
            guard filled > 0 else { return }
            try bucket.withUnsafeMutableBufferPointer { b in
                var at = 0
                for p in pending { b.baseAddress!.advanced(by: at).update(from: p.tensor.pointer + p.from, count: p.count); at += p.count }
                try communicator.allReduceSum(UnsafeMutableBufferPointer(rebasing: b[0..<filled]))
                at = 0
                for p in pending { (p.tensor.pointer + p.from).update(from: b.baseAddress!.advanced(by: at), count: p.count); at += p.count }
            }
            bytes += filled * MemoryLayout<Float>.size
            pending.removeAll(keepingCapacity: true)
            filled = 0
        }
        for t in tensors {
            var from = 0
            while from < t.count {
                let n = min(t.count - from, bucketElements - filled)
                pending.append((t, from, n))
                filled += n
                from += n
                if filled == bucketElements { try flush() }
            }
        }
        try flush()
        return bytes
    }
}
