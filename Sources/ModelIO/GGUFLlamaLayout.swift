import Tensor

/// Undoes the row order llama.cpp's converter gives Llama query and key projections.
///
/// Hugging Face Llama applies RoPE to the pairs `(x[j], x[j + d/2])` of each head ("rotate
/// half"); ggml's Llama rope mode rotates adjacent pairs `(x[2j], x[2j + 1])`. So the converter
/// permutes the rows of `attn_q.weight` (with the head count) and `attn_k.weight` (with the
/// key/value head count): within each head, Hugging Face row `i·d/2 + j` (i ∈ {0, 1}) is stored
/// as row `2j + i`. Model code that implements Hugging Face's rotate-half RoPE must restore the
/// Hugging Face order for files whose `general.architecture` is `llama`; architectures ggml
/// runs in NeoX mode (such as `qwen2`) are stored unpermuted.
public enum GGUFLlamaLayout {
    /// Whether tensors of this GGUF architecture carry the permutation.
    /// (llama.cpp converts Mistral checkpoints under the `llama` architecture too.)
    public static func permutesQueryKey(architecture: String) -> Bool {
        architecture == "llama"
    }

    /// `weight` (rows = heads × head dimension, stored in ggml order) with its rows in Hugging
    /// Face order. Works for weights ([rows, in]) and biases ([rows]).
    /// `name` labels the tensor in errors.
    public static func huggingFaceOrder(_ weight: Tensor, heads: Int, name: String = "tensor") throws -> Tensor {
        try reordered(weight, heads: heads, name: name, toStored: false)
    }

    /// The inverse: `weight` in Hugging Face row order with its rows in the file's stored order,
    /// for writing a query or key projection (or its LoRA `B`) back into a `llama` GGUF.
    public static func ggmlOrder(_ weight: Tensor, heads: Int, name: String = "tensor") throws -> Tensor {
        try reordered(weight, heads: heads, name: name, toStored: true)
    }

    /// Hugging Face row `r` is stored row `stored[r]`: reading gathers by it, writing scatters.
    private static func reordered(_ weight: Tensor, heads: Int, name: String, toStored: Bool) throws -> Tensor {
        let rows = weight.rank == 1 ? weight.count : weight.shape[0]
        let stored = try storedRows(rows, heads: heads, name: name)
        let rowLength = rows == 0 ? 0 : weight.count / rows
        let out = Tensor(zeros: weight.shape)
        let src = UncheckedBox(weight.pointer), dst = UncheckedBox(out.pointer)
        Parallel.forEachRow(rows, rowCost: rowLength) { hfRow in
            let (to, from) = toStored ? (stored[hfRow], hfRow) : (hfRow, stored[hfRow])
            (dst.value + to * rowLength).update(from: src.value + from * rowLength, count: rowLength)
        }
        return out
    }

    /// The stored (ggml) row of each Hugging Face row of a `rows`-row query or key projection
    /// over `heads` heads (a packed matrix reads its rows in this order instead of copying them).
    public static func storedRows(_ rows: Int, heads: Int, name: String = "tensor") throws -> [Int] {
        guard heads > 0, rows % (2 * heads) == 0 else {
            throw ModelIOError(name, "cannot unpermute \(rows) rows over \(heads) heads: rows must be a multiple of 2 × heads")
        }
        let half = rows / heads / 2
        return (0..<rows).map { hfRow in
            let head = hfRow / (2 * half), within = hfRow % (2 * half)
            return head * 2 * half + 2 * (within % half) + within / half
        }
    }
}
