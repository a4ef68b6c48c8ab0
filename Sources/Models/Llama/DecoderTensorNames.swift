import Tensor

/// How a Llama-family checkpoint names its tensors.
public enum DecoderTensorNaming: Sendable {
    /// Transformers: `model.layers.3.self_attn.q_proj.weight`, …
    case huggingFace
    /// llama.cpp GGUF: `blk.3.attn_q.weight`, …
    case gguf

    public var embedding: String {
        self == .huggingFace ? "model.embed_tokens.weight" : "token_embd.weight"
    }
    public var finalNorm: String {
        self == .huggingFace ? "model.norm.weight" : "output_norm.weight"
    }
    public var output: String { self == .huggingFace ? "lm_head.weight" : "output.weight" }

    /// The name of a per-layer tensor (`suffix` is "weight" or "bias").
    public func layerTensor(_ part: DecoderLayerTensor, layer: Int, suffix: String = "weight") -> String {
        switch self {
        case .huggingFace: return "model.layers.\(layer).\(part.huggingFacePath).\(suffix)"
        case .gguf: return "blk.\(layer).\(part.ggufName).\(suffix)"
        }
    }
}

/// The tensors of one decoder block.
public enum DecoderLayerTensor: CaseIterable, Sendable {
    case inputNorm, q, k, v, o, postAttentionNorm, gate, up, down

    /// Module path inside `model.layers.N` (Transformers and PEFT).
    public var huggingFacePath: String {
        switch self {
        case .inputNorm: return "input_layernorm"
        case .q: return "self_attn.q_proj"
        case .k: return "self_attn.k_proj"
        case .v: return "self_attn.v_proj"
        case .o: return "self_attn.o_proj"
        case .postAttentionNorm: return "post_attention_layernorm"
        case .gate: return "mlp.gate_proj"
        case .up: return "mlp.up_proj"
        case .down: return "mlp.down_proj"
        }
    }

    /// Tensor stem inside `blk.N` (GGUF).
    public var ggufName: String {
        switch self {
        case .inputNorm: return "attn_norm"
        case .q: return "attn_q"
        case .k: return "attn_k"
        case .v: return "attn_v"
        case .o: return "attn_output"
        case .postAttentionNorm: return "ffn_norm"
        case .gate: return "ffn_gate"
        case .up: return "ffn_up"
        case .down: return "ffn_down"
        }
    }
}
