import Foundation
import Tensor

/// The geometry of one scaled-dot-product attention call over a batch.
///
/// Queries are `[batch, queries, heads·headDim]` rows. Keys and values live in slots
/// `[batch, keyStride, kvHeads·headDim]`, of which the first `keys` are used; query `i` sits at
/// slot `queryOffset + i` (non-zero when a KV cache already holds earlier tokens).
/// Grouped-query attention: head `h` reads key/value head `h / (heads / kvHeads)`.
public struct AttentionGeometry {
    public var batch: Int
    public var queries: Int
    public var keys: Int
    public var keyStride: Int
    public var queryOffset: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    /// Causal: a query sees only slots up to its own.
    public var causal: Bool
    /// When set, a query at slot `s` sees only slots `> s − window` (Mistral's sliding window).
    public var window: Int?

    public var queryWidth: Int { heads * headDim }
    public var kvWidth: Int { kvHeads * headDim }
    /// Floats of the probability buffer: `[batch, heads, queries, keys]`.
    public var probabilityCount: Int { batch * heads * queries * keys }
}

/// Softmax attention, forward and backward, with causal, sliding-window and key-padding masks.
/// Products are per (sequence, head) sgemm calls on strided views; no transposed copies.
public enum AttentionKernel {
    /// `out = softmax(q kᵀ / sqrt(d) + mask) v`. `keyMask[b · keyStride + slot]` is 1 for a
    /// real token and 0 for padding. A query that sees no key gets an all-zero output row.
    /// `probabilities` receives the attention weights (kept for backward).
    public static func forward(_ g: AttentionGeometry, q: UnsafePointer<Float>,
                               k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               keyMask: UnsafePointer<Float>,
                               probabilities: UnsafeMutablePointer<Float>,
                               out: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(g.headDim).squareRoot()
        let group = g.heads / g.kvHeads
        let tq = g.queries, tk = g.keys, hd = g.headDim
        for b in 0..<g.batch {
            for h in 0..<g.heads {
                let kvh = h / group
                Gemm.sgemm(transposeA: false, transposeB: true, m: tq, n: tk, k: hd, alpha: scale,
                           a: q + b * tq * g.queryWidth + h * hd, lda: g.queryWidth,
                           b: k + b * g.keyStride * g.kvWidth + kvh * hd, ldb: g.kvWidth,
                           c: probabilities + (b * g.heads + h) * tq * tk, ldc: tk)
            }
        }
        softmaxRows(g, keyMask: keyMask, probabilities: probabilities)
        for b in 0..<g.batch {
            for h in 0..<g.heads {
                let kvh = h / group
                Gemm.sgemm(transposeA: false, transposeB: false, m: tq, n: hd, k: tk,
                           a: probabilities + (b * g.heads + h) * tq * tk, lda: tk,
                           b: v + b * g.keyStride * g.kvWidth + kvh * hd, ldb: g.kvWidth,
                           c: out + b * tq * g.queryWidth + h * hd, ldc: g.queryWidth)
            }
        }
    }

    /// Masked, numerically stable softmax of every score row in place.
    static func softmaxRows(_ g: AttentionGeometry, keyMask: UnsafePointer<Float>,
                            probabilities: UnsafeMutablePointer<Float>) {
        let tq = g.queries, tk = g.keys
        Parallel.forEachRow(g.batch * g.heads * tq, rowCost: tk) { row in
            let i = row % tq, b = row / (g.heads * tq)
            let slot = g.queryOffset + i
            let p = probabilities + row * tk, m = keyMask + b * g.keyStride
            let last = g.causal ? min(tk - 1, slot) : tk - 1
            let first = g.window.map { max(0, slot - $0 + 1) } ?? 0
            var maxScore = -Float.infinity
            if first <= last {
                for j in first...last where m[j] != 0 { maxScore = max(maxScore, p[j]) }
            }
            guard maxScore > -Float.infinity else {
                p.update(repeating: 0, count: tk)
                return
            }
            var sum: Float = 0
            for j in 0..<tk {
                if j >= first && j <= last && m[j] != 0 {
                    let e = exp(p[j] - maxScore)
                    p[j] = e
                    sum += e
                } else {
                    p[j] = 0
                }
            }
            let inv = 1 / sum
            for j in first...last { p[j] *= inv }
        }
    }

    /// Backward of `forward` (no KV cache: `queryOffset == 0`, `keys == queries`).
    /// Writes `dq`, and `dk`, `dv` (overwritten, summed over the heads of a group).
    /// `scratch` holds `batch·heads·queries·keys` floats.
    public static func backward(_ g: AttentionGeometry, q: UnsafePointer<Float>,
                                k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                probabilities: UnsafePointer<Float>,
                                outputGradient dout: UnsafePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(g.headDim).squareRoot()
        let group = g.heads / g.kvHeads
        let tq = g.queries, tk = g.keys, hd = g.headDim
        dk.update(repeating: 0, count: g.batch * g.keyStride * g.kvWidth)
        dv.update(repeating: 0, count: g.batch * g.keyStride * g.kvWidth)
        // dP = dO vᵀ, and dV += Pᵀ dO.
        for b in 0..<g.batch {
            for h in 0..<g.heads {
                let kvh = h / group
                let pOff = (b * g.heads + h) * tq * tk
                let oOff = b * tq * g.queryWidth + h * hd
                let kvOff = b * g.keyStride * g.kvWidth + kvh * hd
                Gemm.sgemm(transposeA: false, transposeB: true, m: tq, n: tk, k: hd,
                           a: dout + oOff, lda: g.queryWidth, b: v + kvOff, ldb: g.kvWidth,
                           c: scratch + pOff, ldc: tk)
                Gemm.sgemm(transposeA: true, transposeB: false, m: tk, n: hd, k: tq,
                           a: probabilities + pOff, lda: tk, b: dout + oOff, ldb: g.queryWidth,
                           beta: 1, c: dv + kvOff, ldc: g.kvWidth)
            }
        }
        // dS = P ⊙ (dP − Σ_j dP·P) · scale, in place in scratch.
        Parallel.forEachRow(g.batch * g.heads * tq, rowCost: tk) { row in
            let p = probabilities + row * tk, d = scratch + row * tk
            var dot: Float = 0
            for j in 0..<tk { dot += p[j] * d[j] }
            for j in 0..<tk { d[j] = p[j] * (d[j] - dot) * scale }
        }
        // dQ = dS K, dK += dSᵀ Q.
        for b in 0..<g.batch {
            for h in 0..<g.heads {
                let kvh = h / group
                let pOff = (b * g.heads + h) * tq * tk
                let qOff = b * tq * g.queryWidth + h * hd
                let kvOff = b * g.keyStride * g.kvWidth + kvh * hd
                Gemm.sgemm(transposeA: false, transposeB: false, m: tq, n: hd, k: tk,
                           a: scratch + pOff, lda: tk, b: k + kvOff, ldb: g.kvWidth,
                           c: dq + qOff, ldc: g.queryWidth)
                Gemm.sgemm(transposeA: true, transposeB: false, m: tk, n: hd, k: tq,
                           a: scratch + pOff, lda: tk, b: q + qOff, ldb: g.queryWidth,
                           beta: 1, c: dk + kvOff, ldc: g.kvWidth)
            }
        }
    }
}
