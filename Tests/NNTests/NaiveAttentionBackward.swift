import Foundation
import NN
import Tensor

/// The attention backward written out per (sequence, head) in Double, as the textbook states
/// it, for comparison with the layer's grouped, concurrent one.
struct NaiveAttentionGradients {
    var input: [Double]
    var queryWeight: [Double], keyWeight: [Double], valueWeight: [Double]
}

extension Naive {
    /// Gradients of `Σ dy ⊙ attention(x)` with respect to `x` and the query, key and value
    /// weights; positions are `t mod seq`.
    static func attentionGradients(x: Tensor, layer: Attention, mask: [Bool]?, dy: Tensor) -> NaiveAttentionGradients {
        let b = x.shape[0], s = x.shape[1], dim = x.shape[2], n = b * s
        let h = layer.heads, kvh = layer.keyValueHeads, d = layer.headDimension, group = h / kvh
        let qw = h * d, kw = kvh * d, scale = 1 / Double(d).squareRoot()
        let xs = (0..<x.count).map { value(x, $0) }
        var q = linear(xs, rows: n, layer.query.weight.value, layer.query.bias?.value)
        var k = linear(xs, rows: n, layer.key.weight.value, layer.key.bias?.value)
        let v = linear(xs, rows: n, layer.value.weight.value, layer.value.bias?.value)
        func rotate(_ values: inout [Double], width: Int, heads: Int, inverse: Bool) {
            guard let rope = layer.rotary else { return }
            for t in 0..<n {
                let p = t % s
                values.replaceSubrange((t * width)..<((t + 1) * width),
                                       with: Naive.rope(Array(values[(t * width)..<((t + 1) * width)]), heads: heads, headDim: d,
                                                        position: inverse ? -p : p, inverseFrequencies: rope.inverseFrequencies))
            }
        }
        rotate(&q, width: qw, heads: h, inverse: false)
        rotate(&k, width: kw, heads: kvh, inverse: false)
        // dctx = dy · Wo
        let wo = layer.output.weight.value, outWidth = wo.shape[0]
        var dctx = [Double](repeating: 0, count: n * qw)
        for t in 0..<n {
            for o in 0..<outWidth {
                let g = value(dy, t * outWidth + o)
                for c in 0..<qw { dctx[t * qw + c] += g * value(wo, o * qw + c) }
            }
        }
        var dq = [Double](repeating: 0, count: n * qw)
        var dk = [Double](repeating: 0, count: n * kw), dv = [Double](repeating: 0, count: n * kw)
        for bi in 0..<b {
            for head in 0..<h {
                let g = head / group
                func qAt(_ i: Int, _ c: Int) -> Double { q[(bi * s + i) * qw + head * d + c] }
                func kAt(_ j: Int, _ c: Int) -> Double { k[(bi * s + j) * kw + g * d + c] }
                func vAt(_ j: Int, _ c: Int) -> Double { v[(bi * s + j) * kw + g * d + c] }
                func dctxAt(_ i: Int, _ c: Int) -> Double { dctx[(bi * s + i) * qw + head * d + c] }
                for i in 0..<s {
                    // P[i, :]
                    var scores = [Double](repeating: -.infinity, count: s)
                    for j in 0..<s {
                        if !naiveAttends(layer, query: i, key: j, keyIsReal: mask.map { $0[bi * s + j] } ?? true) { continue }
                        scores[j] = (0..<d).reduce(0.0) { $0 + qAt(i, $1) * kAt(j, $1) } * scale
                    }
                    let top = scores.max() ?? -.infinity
                    if top == -.infinity { continue }   // no key visible: no gradient either
                    let e = scores.map { exp($0 - top) }
                    let z = e.reduce(0, +)
                    let p = e.map { $0 / z }
                    // dP[i, j] = dctx_i · v_j;  dS = P ⊙ (dP − Σ P dP)
                    let dp = (0..<s).map { j in (0..<d).reduce(0.0) { $0 + dctxAt(i, $1) * vAt(j, $1) } }
                    let dot = zip(p, dp).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for j in 0..<s where p[j] > 0 {
                        let ds = p[j] * (dp[j] - dot)
                        for c in 0..<d {
                            dv[(bi * s + j) * kw + g * d + c] += p[j] * dctxAt(i, c)
                            dq[(bi * s + i) * qw + head * d + c] += ds * kAt(j, c) * scale
                            dk[(bi * s + j) * kw + g * d + c] += ds * qAt(i, c) * scale
                        }
                    }
                }
            }
        }
        rotate(&dq, width: qw, heads: h, inverse: true)
        rotate(&dk, width: kw, heads: kvh, inverse: true)
        var dx = [Double](repeating: 0, count: n * dim)
        func backThrough(_ grad: [Double], width: Int, _ w: Tensor) -> [Double] {
            var dw = [Double](repeating: 0, count: width * dim)
            for t in 0..<n {
                for c in 0..<width {
                    let g = grad[t * width + c]
                    for m in 0..<dim {
                        dx[t * dim + m] += g * value(w, c * dim + m)
                        dw[c * dim + m] += g * xs[t * dim + m]
                    }
                }
            }
            return dw
        }
        let dwq = backThrough(dq, width: qw, layer.query.weight.value)
        let dwk = backThrough(dk, width: kw, layer.key.weight.value)
        let dwv = backThrough(dv, width: kw, layer.value.weight.value)
        return NaiveAttentionGradients(input: dx, queryWeight: dwq, keyWeight: dwk, valueWeight: dwv)
    }
}
