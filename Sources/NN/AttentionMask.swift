/// Which keys a query row of attention scores may see: keys after the query are hidden under a
/// causal mask, keys older than the sliding window too, and padding keys always.
///
/// `padding` points at `batch · keys` flags (true for real tokens) and must outlive the mask;
/// nil means no padding.
struct AttentionMask {
    let causal: Bool
    /// Keys a causal query may see, itself included (`Int.max` for no window).
    let window: Int
    let padding: UnsafePointer<Bool>?

    /// True when no score is ever masked.
    var isEmpty: Bool { !causal && padding == nil }

    /// Sets the masked scores of one row (`keys` scores of the query at absolute `position`
    /// among the keys, in sequence `batchItem`) to −∞.
    @inline(__always)
    func apply(_ row: UnsafeMutablePointer<Float>, position: Int, batchItem: Int, keys: Int) {
        if causal {
            if position + 1 < keys {
                for j in (position + 1)..<keys { row[j] = -.infinity }
            }
            let oldest = position - window + 1   // keys before this are out of the window
            if oldest > 0 {
                for j in 0..<min(oldest, keys) { row[j] = -.infinity }
            }
        }
        if let flags = padding {
            let first = batchItem * keys
            for j in 0..<keys where !flags[first + j] { row[j] = -.infinity }
        }
    }
}
