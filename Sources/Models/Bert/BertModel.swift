import Foundation
import ModelIO
import NN
import Tensor

/// A BERT-family encoder (BERT, RoBERTa, MiniLM): embeddings (word + position + token type,
/// LayerNorm), post-norm blocks, and the optional pooler (`tanh(dense(h[CLS]))`).
///
/// All weights load frozen; backward always propagates input gradients and accumulates the
/// gradients of trainable parameters. Checkpoints saved from `BertModel` (no prefix) and from
/// task models (`bert.` / `roberta.` prefix) both load.
public final class BertModel: AdaptableModel {
    public let config: EncoderConfig
    public let wordEmbedding: Embedding
    public let positionEmbedding: Embedding
    public let tokenTypeEmbedding: Embedding
    public let embeddingNorm: LayerNorm
    public let layers: [BertEncoderLayer]
    /// `bert.pooler.dense`; nil when the checkpoint has none (RoBERTa classifiers).
    public let pooler: Linear?
    /// The prefix of the checkpoint's encoder names: "", "bert." or "roberta.".
    public let prefix: String
    public private(set) var namedParameters: [(name: String, parameter: Parameter)]

    private var embeddingSum = ActivationBuffer()
    private var pooledInput = ActivationBuffer(), pooledOutput = ActivationBuffer()
    private var pooledGradient = ActivationBuffer(), hiddenGradient = ActivationBuffer()
    private var lastShape: (batch: Int, length: Int)?

    public init(config: EncoderConfig, weights: WeightSource) throws {
        self.config = config
        let base = config.isRoberta ? "roberta." : "bert."
        prefix = weights.shapeOfTensor(base + "embeddings.word_embeddings.weight") != nil ? base : ""
        // Transformers names every parameter with the task-model prefix.
        let hfPrefix = base
        var named: [(String, Parameter)] = []
        let pre = prefix
        func parameter(_ name: String, _ shape: [Int]) throws -> Parameter {
            let p = try weights.loadParameter(pre + name, shape: shape)
            named.append((hfPrefix + name, p))
            return p
        }
        let d = config.hiddenSize, ffn = config.intermediateSize
        func linear(_ name: String, _ out: Int, _ inp: Int) throws -> Linear {
            Linear(weight: try parameter(name + ".weight", [out, inp]),
                   bias: try parameter(name + ".bias", [out]))
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: try parameter(name + ".weight", [d]),
                      bias: try parameter(name + ".bias", [d]), epsilon: config.layerNormEpsilon)
        }
        wordEmbedding = Embedding(weight: try parameter("embeddings.word_embeddings.weight", [config.vocabSize, d]))
        positionEmbedding = Embedding(weight: try parameter("embeddings.position_embeddings.weight", [config.maxPositions, d]))
        tokenTypeEmbedding = Embedding(weight: try parameter("embeddings.token_type_embeddings.weight", [config.typeVocabSize, d]))
        embeddingNorm = try norm("embeddings.LayerNorm")
        var blocks: [BertEncoderLayer] = []
        for i in 0..<config.layerCount {
            let l = "encoder.layer.\(i)."
            let attention = Attention(
                query: try linear(l + "attention.self.query", d, d),
                key: try linear(l + "attention.self.key", d, d),
                value: try linear(l + "attention.self.value", d, d),
                output: try linear(l + "attention.output.dense", d, d),
                heads: config.headCount, keyValueHeads: config.headCount,
                headDimension: config.headDim, causal: false)
            let attentionNorm = try norm(l + "attention.output.LayerNorm")
            let mlp = BertMLP(intermediate: try linear(l + "intermediate.dense", ffn, d),
                              output: try linear(l + "output.dense", d, ffn),
                              activation: config.activation == "gelu" ? .none : .tanh)
            blocks.append(BertEncoderLayer(attention: attention, attentionNorm: attentionNorm,
                                           mlp: mlp, outputNorm: try norm(l + "output.LayerNorm")))
        }
        layers = blocks
        // Blocks are differentiated one after another: alternate blocks share backward scratch.
        BufferPool.shareAlternately(blocks) { $0.shareBackwardBuffers($1) }
        pooler = weights.shapeOfTensor(pre + "pooler.dense.weight") != nil
            ? try linear("pooler.dense", d, d) : nil
        namedParameters = named
    }

    /// Opens a Hugging Face folder and builds the encoder.
    public convenience init(contentsOf url: URL) throws {
        let files = try ModelFiles(url: url)
        try self.init(config: EncoderConfig(files.config, source: files.url.path), weights: files)
    }

    public var targetableLayers: [TargetableLinear] {
        layers.enumerated().flatMap { i, l -> [TargetableLinear] in
            let p = "\(config.isRoberta ? "roberta" : "bert").encoder.layer.\(i)."
            return [
                TargetableLinear(shortName: "query", layerIndex: i, modulePath: p + "attention.self.query", linear: l.query),
                TargetableLinear(shortName: "key", layerIndex: i, modulePath: p + "attention.self.key", linear: l.key),
                TargetableLinear(shortName: "value", layerIndex: i, modulePath: p + "attention.self.value", linear: l.value),
                TargetableLinear(shortName: "attn_out", layerIndex: i, modulePath: p + "attention.output.dense", linear: l.attentionOutput),
                TargetableLinear(shortName: "ffn_in", layerIndex: i, modulePath: p + "intermediate.dense", linear: l.intermediate),
                TargetableLinear(shortName: "ffn_out", layerIndex: i, modulePath: p + "output.dense", linear: l.output),
            ]
        }
    }

    public var linearLayers: [Linear] { targetableLayers.map(\.linear) + (pooler.map { [$0] } ?? []) }

    /// Position ids: `0..<length` for BERT; for RoBERTa, `padTokenId + 1 + index among real
    /// tokens` on non-pad ids and `padTokenId` on pad ids (Transformers' numbering).
    func positionIds(_ batch: TokenBatch) -> [Int] {
        if !config.isRoberta { return (0..<batch.tokenCount).map { $0 % batch.length } }
        var out = [Int](repeating: config.padTokenId, count: batch.tokenCount)
        for b in 0..<batch.batchSize {
            var seen = 0
            for t in 0..<batch.length where Int(batch.ids[b * batch.length + t]) != config.padTokenId {
                seen += 1
                out[b * batch.length + t] = config.padTokenId + seen
            }
        }
        return out
    }

    /// The last hidden states `[batch·length, hidden]` (a buffer the model reuses).
    public func hiddenStates(_ batch: TokenBatch) throws -> Tensor {
        guard batch.length <= config.usablePositions else {
            throw ModelError.sequenceTooLong(length: batch.length, maximum: config.usablePositions)
        }
        let words: Tensor, types: Tensor
        do {
            let shape = [batch.batchSize, batch.length]
            words = try wordEmbedding.forward(batch.ids.map(Int.init), shape: shape)
            types = try tokenTypeEmbedding.forward(
                batch.tokenTypes.map { $0.map(Int.init) } ?? [Int](repeating: 0, count: batch.tokenCount),
                shape: shape)
        } catch {
            throw ModelError.invalidBatch("\(error)")
        }
        let positions = try positionEmbedding.forward(positionIds(batch))
        let sum = embeddingSum.tensor(words.shape)
        Elementwise.add(words, positions, into: sum)
        Elementwise.add(sum, types, into: sum)
        var x = embeddingNorm.forward(sum)
        let mask = batch.paddingFlags
        for layer in layers { x = layer.forward(x, attentionMask: mask) }
        lastShape = (batch.batchSize, batch.length)
        return x
    }

    /// `tanh(pooler(h[first token]))` of the last `hiddenStates` call: `[batch, hidden]`.
    public func pooledOutput(_ hidden: Tensor) throws -> Tensor {
        guard let pooler, let shape = lastShape else {
            throw ModelError.unsupportedArchitecture("the checkpoint has no pooler")
        }
        let first = BertModel.firstTokens(hidden, batch: shape.batch, length: shape.length,
                                          into: &pooledInput)
        let y = pooledOutput.tensor(first.shape)
        y.copy(from: pooler.forward(first))
        for i in 0..<y.count { y.pointer[i] = tanh(y.pointer[i]) }
        return y
    }

    /// Backward of `pooledOutput`: adds into `hiddenGradient` (rows of the first tokens).
    func poolerBackward(_ dPooled: Tensor, into dHidden: Tensor) {
        guard let pooler, let shape = lastShape else { return }
        let y = pooledOutput.tensor(dPooled.shape)
        let dPre = pooledGradient.tensor(dPooled.shape)
        for i in 0..<y.count { let t = y.pointer[i]; dPre.pointer[i] = dPooled.pointer[i] * (1 - t * t) }
        let dFirst = pooler.backward(dPre)
        BertModel.addFirstTokens(dFirst, into: dHidden, batch: shape.batch, length: shape.length)
    }

    /// Rows `b·length` of `hidden` gathered into `[batch, hidden]`.
    static func firstTokens(_ hidden: Tensor, batch: Int, length: Int,
                            into buffer: inout ActivationBuffer) -> Tensor {
        let d = hidden.columns
        let out = buffer.tensor([batch, d])
        for b in 0..<batch { (out.pointer + b * d).update(from: hidden.pointer + b * length * d, count: d) }
        return out
    }

    static func addFirstTokens(_ rows: Tensor, into hidden: Tensor, batch: Int, length: Int) {
        let d = hidden.columns
        for b in 0..<batch {
            let dst = hidden.pointer + b * length * d, src = rows.pointer + b * d
            for j in 0..<d { dst[j] += src[j] }
        }
    }

    /// A zeroed gradient buffer for the last hidden states.
    func zeroedHiddenGradient() -> Tensor {
        guard let shape = lastShape else { preconditionFailure("backward before forward") }
        let t = hiddenGradient.tensor([shape.batch, shape.length, config.hiddenSize])
        t.zero()
        return t
    }

    /// Backward from `∂loss/∂hidden` (`[batch·length, hidden]`) of the last forward.
    public func backward(hiddenGradient dHidden: Tensor) {
        var dx = dHidden
        for layer in layers.reversed() { dx = layer.backward(dx) }
        let dSum = embeddingNorm.backward(dx)
        wordEmbedding.backward(dSum)
        positionEmbedding.backward(dSum)
        tokenTypeEmbedding.backward(dSum)
    }

    /// Masked mean of the hidden states over real tokens (sentence-transformers pooling):
    /// `[batch, hidden]`.
    public static func meanPooled(_ hidden: Tensor, mask: [Float], batch: Int, length: Int) -> Tensor {
        let d = hidden.columns
        let out = Tensor(zeros: [batch, d])
        for b in 0..<batch {
            var count: Float = 0
            let o = out.pointer + b * d
            for t in 0..<length where mask[b * length + t] != 0 {
                count += 1
                let h = hidden.pointer + (b * length + t) * d
                for j in 0..<d { o[j] += h[j] }
            }
            let inv = 1 / max(count, 1e-9)
            for j in 0..<d { o[j] *= inv }
        }
        return out
    }

    /// The first token's hidden state of every sequence (CLS pooling): `[batch, hidden]`.
    public static func clsPooled(_ hidden: Tensor, batch: Int, length: Int) -> Tensor {
        var buffer = ActivationBuffer()
        return firstTokens(hidden, batch: batch, length: length, into: &buffer).copy()
    }

    func appendParameters(_ more: [(String, Parameter)]) { namedParameters += more }
}
