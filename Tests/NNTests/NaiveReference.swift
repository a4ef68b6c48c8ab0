import Foundation
import NN
import Tensor

/// Straightforward Double re-implementations the layers are compared with.
enum Naive {
    static func value(_ t: Tensor, _ i: Int) -> Double { Double(t.pointer[i]) }

    /// y = x Wᵀ + b, x [n, in] as Double rows.
    static func linear(_ x: [Double], rows n: Int, _ w: Tensor, _ b: Tensor?) -> [Double] {
        let o = w.shape[0], i = w.shape[1]
        var y = [Double](repeating: 0, count: n * o)
        for r in 0..<n {
            for j in 0..<o {
                var s = b.map { value($0, j) } ?? 0
                for k in 0..<i { s += x[r * i + k] * value(w, j * i + k) }
                y[r * o + j] = s
            }
        }
        return y
    }

    /// HF `apply_rotary_pos_emb` for one token's heads: x·cos + rotate_half(x)·sin, where
    /// rotate_half(x) = cat(−x2, x1) and cos/sin repeat the half-size table twice.
    static func rope(_ x: [Double], heads: Int, headDim d: Int, position: Int, inverseFrequencies: [Float]) -> [Double] {
        let half = d / 2
        var out = x
        for h in 0..<heads {
            let v = Array(x[(h * d)..<((h + 1) * d)])
            let rotated = (0..<d).map { i in i < half ? -v[i + half] : v[i - half] }
            for i in 0..<d {
                let angle = Double(Float(position) * inverseFrequencies[i % half])
                out[h * d + i] = v[i] * cos(angle) + rotated[i] * sin(angle)
            }
        }
        return out
    }

    /// Multi-head / grouped-query attention with masks, all in Double.
    static func attention(x: Tensor, layer: Attention, mask: [Bool]?, positions: [Int]?) -> [Double] {
        let b = x.shape[0], s = x.shape[1], dim = x.shape[2]
        let h = layer.heads, kvh = layer.keyValueHeads, d = layer.headDimension, group = h / kvh
        let xs = (0..<x.count).map { value(x, $0) }
        var q = linear(xs, rows: b * s, layer.query.weight.value, layer.query.bias?.value)
        var k = linear(xs, rows: b * s, layer.key.weight.value, layer.key.bias?.value)
        let v = linear(xs, rows: b * s, layer.value.weight.value, layer.value.bias?.value)
        _ = dim
        if let rope = layer.rotary {
            for t in 0..<(b * s) {
                let p = positions?[t] ?? (t % s)
                q.replaceSubrange((t * h * d)..<((t + 1) * h * d),
                                  with: Naive.rope(Array(q[(t * h * d)..<((t + 1) * h * d)]), heads: h, headDim: d, position: p, inverseFrequencies: rope.inverseFrequencies))
                k.replaceSubrange((t * kvh * d)..<((t + 1) * kvh * d),
                                  with: Naive.rope(Array(k[(t * kvh * d)..<((t + 1) * kvh * d)]), heads: kvh, headDim: d, position: p, inverseFrequencies: rope.inverseFrequencies))
            }
        }
        var ctx = [Double](repeating: 0, count: b * s * h * d)
        for bi in 0..<b {
            for head in 0..<h {
                let g = head / group
                for i in 0..<s {
                    var scores = [Double](repeating: -.infinity, count: s)
                    for j in 0..<s {
                        if !naiveAttends(layer, query: i, key: j, keyIsReal: mask.map { $0[bi * s + j] } ?? true) { continue }
                        var dot = 0.0
                        for c in 0..<d {
                            dot += q[(bi * s + i) * h * d + head * d + c] * k[(bi * s + j) * kvh * d + g * d + c]
                        }
                        scores[j] = dot / Double(d).squareRoot()
                    }
                    let m = scores.max() ?? -.infinity
                    if m == -.infinity { continue }  // fully masked: zero context
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0..<s where e[j] > 0 {
                        for c in 0..<d {
                            ctx[(bi * s + i) * h * d + head * d + c] += e[j] / z * v[(bi * s + j) * kvh * d + g * d + c]
                        }
                    }
                }
            }
        }
        return linear(ctx, rows: b * s, layer.output.weight.value, layer.output.bias?.value)
    }

    /// Mean cross-entropy over labels other than −100, from logits [n, classes].
    static func crossEntropy(_ logits: Tensor, _ labels: [Int]) -> Double {
        let classes = logits.columns
        var total = 0.0, counted = 0
        for (r, label) in labels.enumerated() where label != -100 {
            let row = (0..<classes).map { value(logits, r * classes + $0) }
            let m = row.max() ?? 0
            let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
            total += lse - row[label]
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }
}

/// Whether query `i` may attend to key `j` in the naive references: the causal mask, the
/// sliding window and padding (`keyIsReal` false for a padded key).
func naiveAttends(_ layer: Attention, query i: Int, key j: Int, keyIsReal: Bool) -> Bool {
    if layer.isCausal && j > i { return false }
    if let w = layer.slidingWindow, i - j >= w { return false }
    return keyIsReal
}
