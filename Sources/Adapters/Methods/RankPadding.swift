import Tensor

/// Factors of a layer narrower than the rank: an SVD gives at most min(out, in) components,
/// and the adapter's shapes stay r wide, so the missing ones are zero.
enum RankPadding {
    /// `u` (m×k) widened to m×r with zero columns.
    static func columns(_ u: Tensor, to r: Int) -> Tensor {
        guard u.columns < r else { return u }
        let out = Tensor(zeros: [u.rows, r])
        for i in 0..<u.rows { (out.pointer + i * r).update(from: u.pointer + i * u.columns, count: u.columns) }
        return out
    }

    /// `vt` (k×n) extended to r×n with zero rows.
    static func rows(_ vt: Tensor, to r: Int) -> Tensor {
        guard vt.rows < r else { return vt }
        let out = Tensor(zeros: [r, vt.columns])
        out.pointer.update(from: vt.pointer, count: vt.count)
        return out
    }

    /// An r×r matrix with `values` on the diagonal (zero-padded).
    static func diagonal(_ values: [Float], size: Int) -> Tensor {
        let t = Tensor(zeros: [size, size])
        for (i, v) in values.enumerated() where i < size { t.pointer[i * size + i] = v }
        return t
    }
}
