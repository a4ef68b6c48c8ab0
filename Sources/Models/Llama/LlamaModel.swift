import Foundation
import ModelIO
import NN
import Tensor

/// A Llama-family causal language model (Llama 2/3, Mistral, Qwen2, SmolLM2) built from the NN
/// layers, with forward, loss and backward over padded batches.
///
/// Frozen base by default: every weight is loaded with `isTrainable == false`, so backward
/// computes only input gradients (and the gradients of whatever is made trainable, such as
/// adapters). Activations live in buffers sized by the batch shape and reused across steps.
public final class LlamaModel: AdaptableModel {
    public let config: DecoderConfig
    public let embedding: Embedding
    public let layers: [LlamaDecoderLayer]
    public let finalNorm: RMSNorm
    /// The vocabulary projection; shares its weight with `embedding` when tied.
    public let outputProjection: Linear
    public let rope: RotaryEmbedding
    public let namedParameters: [(name: String, parameter: Parameter)]
    /// Each parameter's tensor in the checkpoint it was loaded from, by Transformers name.
    public let sourceTensors: [String: SourceTensor]

    /// Gradient checkpointing (mlx_lm's `--grad-checkpoint`): forward keeps only each block's
    /// input (the previous block's output) and backward recomputes a block's forward just before
    /// differentiating it, so the blocks' internal activations (attention probabilities, MLP
    /// hidden states, projections) exist for one block at a time instead of for every block.
    /// One more block forward per block in each backward; gradients are the same.
    public var gradientCheckpointing = false {
        didSet {
            guard gradientCheckpointing != oldValue else { return }
            let shared = gradientCheckpointing ? BufferPool() : nil
            for layer in layers { layer.shareForwardBuffers(shared) }
            blockInputs = []
        }
    }

    private let crossEntropy = SoftmaxCrossEntropy()
    private var lastBatch: (batch: Int, length: Int)?
    /// With checkpointing, the input and padding flags of every block in the last training forward.
    private var blockInputs: [Tensor] = []
    private var lastMask: [Bool]?
    private var hiddenGradient = ActivationBuffer()
    /// The loss's counted rows of the final hidden states, and their gradient.
    private var countedHidden = ActivationBuffer()
    private var countedGradient = ActivationBuffer()

    /// Builds the model from `weights` named per `naming`. Matrices stay in the file's form
    /// (decoded as products need them) when the source allows; GGUF Q/K rows are presented in
    /// Transformers' order when the file's architecture stores them permuted.
    /// Throws naming any missing or wrongly shaped tensor.
    public init(config: DecoderConfig, weights: WeightSource, naming: DecoderTensorNaming) throws {
        try config.validate(source: weights.sourceName)
        self.config = config
        let d = config.hiddenSize, hd = config.headDim
        let qWidth = config.headCount * hd, kvWidth = config.kvHeadCount * hd
        let unpermutes = naming == .gguf && GGUFLlamaLayout.permutesQueryKey(architecture: config.architecture)
        var named: [(String, Parameter)] = []
        var sources: [String: SourceTensor] = [:]
        func parameter(_ name: String, _ hfName: String, _ shape: [Int],
                       ropeHeads: Int? = nil) throws -> Parameter {
            let heads = unpermutes ? ropeHeads : nil
            let p = try weights.loadParameter(name, shape: shape, ggufLlamaHeads: heads)
            named.append((hfName, p))
            sources[hfName] = SourceTensor(name: name, permutedHeads: heads)
            return p
        }
        let hfNames = DecoderTensorNaming.huggingFace
        let embed = try parameter(naming.embedding, hfNames.embedding, [config.vocabSize, d])
        embedding = Embedding(weight: embed)
        let rope = RotaryEmbedding(headDimension: hd, theta: Double(config.ropeTheta),
                                   scaling: config.ropeScaling)
        var blocks: [LlamaDecoderLayer] = []
        for i in 0..<config.layerCount {
            func linear(_ part: DecoderLayerTensor, _ out: Int, _ inp: Int, bias: Bool,
                        ropeHeads: Int? = nil) throws -> Linear {
                let w = try parameter(naming.layerTensor(part, layer: i),
                                      hfNames.layerTensor(part, layer: i), [out, inp],
                                      ropeHeads: ropeHeads)
                let b = bias ? try parameter(naming.layerTensor(part, layer: i, suffix: "bias"),
                                             hfNames.layerTensor(part, layer: i, suffix: "bias"),
                                             [out], ropeHeads: ropeHeads) : nil
                return Linear(weight: w, bias: b)
            }
            func norm(_ part: DecoderLayerTensor) throws -> RMSNorm {
                RMSNorm(weight: try parameter(naming.layerTensor(part, layer: i),
                                              hfNames.layerTensor(part, layer: i), [d]),
                        epsilon: config.rmsNormEpsilon)
            }
            let inputNorm = try norm(.inputNorm)
            let q = try linear(.q, qWidth, d, bias: config.attentionBias, ropeHeads: config.headCount)
            let k = try linear(.k, kvWidth, d, bias: config.attentionBias, ropeHeads: config.kvHeadCount)
            let v = try linear(.v, kvWidth, d, bias: config.attentionBias)
            let o = try linear(.o, d, qWidth, bias: config.outputBias)
            let postNorm = try norm(.postAttentionNorm)
            let gate = try linear(.gate, config.intermediateSize, d, bias: config.mlpBias)
            let up = try linear(.up, config.intermediateSize, d, bias: config.mlpBias)
            let down = try linear(.down, d, config.intermediateSize, bias: config.mlpBias)
            let attention = Attention(query: q, key: k, value: v, output: o,
                                      heads: config.headCount, keyValueHeads: config.kvHeadCount,
                                      headDimension: hd, causal: true, rotary: rope,
                                      slidingWindow: config.slidingWindow)
            blocks.append(LlamaDecoderLayer(inputNorm: inputNorm, attention: attention,
                                            postAttentionNorm: postNorm,
                                            mlp: SwiGLUMLP(gate: gate, up: up, down: down)))
        }
        layers = blocks
        // Blocks are differentiated one after another: alternate blocks share backward scratch.
        BufferPool.shareAlternately(blocks) { $0.shareBackwardBuffers($1) }
        // What no backward reads is overwritten by the next block (`DroppableActivation`).
        let dropped = BufferPool()
        for block in blocks { block.shareDroppedBuffers(dropped) }
        finalNorm = RMSNorm(weight: try parameter(naming.finalNorm, hfNames.finalNorm, [d]),
                            epsilon: config.rmsNormEpsilon)
        // GGUF files of tied models simply omit output.weight.
        let tied = config.tieWordEmbeddings || (naming == .gguf && weights.shapeOfTensor(naming.output) == nil)
        if tied {
            outputProjection = Linear(weight: embed)
        } else {
            outputProjection = Linear(weight: try parameter(naming.output, hfNames.output,
                                                            [config.vocabSize, d]))
        }
        self.rope = rope
        namedParameters = named
        sourceTensors = sources
    }

    public var isTied: Bool { outputProjection.weight === embedding.weight }

    public var targetableLayers: [TargetableLinear] {
        layers.enumerated().flatMap { i, l -> [TargetableLinear] in
            let parts: [(String, DecoderLayerTensor, Linear)] = [
                ("q", .q, l.q), ("k", .k, l.k), ("v", .v, l.v), ("o", .o, l.o),
                ("gate", .gate, l.gate), ("up", .up, l.up), ("down", .down, l.down),
            ]
            return parts.map { name, part, linear in
                TargetableLinear(shortName: name, layerIndex: i,
                                 modulePath: "model.layers.\(i).\(part.huggingFacePath)",
                                 linear: linear)
            }
        }
    }

    public var linearLayers: [Linear] { targetableLayers.map(\.linear) + [outputProjection] }

    /// Checks a batch against the model: ids in the vocabulary, length within the positions.
    func validate(_ batch: TokenBatch) throws {
        guard batch.length <= config.maxPositions else {
            throw ModelError.sequenceTooLong(length: batch.length, maximum: config.maxPositions)
        }
        if let bad = batch.ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.invalidBatch("token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
        if let labels = batch.labels, let bad = labels.first(where: {
            Int($0) != SoftmaxCrossEntropy.ignoreIndex && ($0 < 0 || Int($0) >= config.vocabSize)
        }) {
            throw ModelError.invalidBatch("label \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
    }

    /// Runs the decoder; returns the final hidden states `[batch, length, hidden]` (after the
    /// final norm). Positions count from 0 in every row (right padding).
    public func hiddenStates(_ batch: TokenBatch) throws -> Tensor {
        try validate(batch)
        var x = try embedding.forward(batch.ids.map(Int.init), shape: [batch.batchSize, batch.length])
        let mask = batch.paddingFlags
        lastMask = mask
        blockInputs = []
        for layer in layers {
            if gradientCheckpointing { blockInputs.append(x) }
            x = layer.forward(x, attentionMask: mask, positions: nil)
        }
        lastBatch = (batch.batchSize, batch.length)
        return finalNorm.forward(x)
    }

    /// Logits `[batch, length, vocab]` for every position (a buffer the model reuses).
    public func logits(_ batch: TokenBatch) throws -> Tensor {
        outputProjection.forward(try hiddenStates(batch))
    }

    /// The next-token targets of `labels` (Transformers' shift: position t predicts t+1).
    static func shiftedTargets(_ labels: [Int32], batch: Int, length: Int) -> [Int] {
        var targets = [Int](repeating: SoftmaxCrossEntropy.ignoreIndex, count: labels.count)
        for b in 0..<batch {
            for t in 0..<(length - 1) { targets[b * length + t] = Int(labels[b * length + t + 1]) }
        }
        return targets
    }

    /// Mean next-token cross-entropy over the labelled positions of `batch` (`labels` as
    /// Transformers takes them: aligned with `ids`, -100 = not counted), without backward.
    public func loss(_ batch: TokenBatch) throws -> Float {
        try loss(batch, backward: false)
    }

    /// The loss, then backward through the whole model: accumulates the gradients of every
    /// trainable parameter (and adapter).
    public func lossAndGradients(_ batch: TokenBatch) throws -> Float {
        try loss(batch, backward: true)
    }

    /// Rows of the vocabulary head the loss computes at once. A whole batch's logits (4 × 256
    /// tokens × 49,152 words in fp32 = 200 MB) would be the largest activation of a step;
    /// 256 rows hold 50 MB, and each chunk's gradient goes straight back through the head.
    public static let lossChunkRows = 256

    private func loss(_ batch: TokenBatch, backward: Bool) throws -> Float {
        guard let labels = batch.labels else {
            throw ModelError.invalidBatch("the batch has no labels")
        }
        let hidden = try hiddenStates(batch)
        let rows = batch.tokenCount, width = config.hiddenSize
        let flatHidden = hidden.reshaped([rows, width])
        let targets = LlamaModel.shiftedTargets(labels, batch: batch.batchSize, length: batch.length)
        // The head runs only on the rows whose next token is counted: a prompt's and padding's
        // rows carry no loss and no gradient, and with a 150k-word vocabulary the head is a
        // quarter of a step's products.
        let counted = targets.indices.filter { targets[$0] != SoftmaxCrossEntropy.ignoreIndex }
        let normalizer = Float(max(counted.count, 1))
        let everyRow = counted.count == rows
        let inputs = everyRow ? flatHidden : Self.gather(counted, of: flatHidden, into: &countedHidden)
        let countedTargets = everyRow ? targets : counted.map { targets[$0] }
        var dInputs: Tensor?
        if backward {
            dInputs = everyRow ? hiddenGradient.tensor([rows, width]) : countedGradient.tensor([counted.count, width])
        }
        var total = 0.0
        for start in stride(from: 0, to: counted.count, by: LlamaModel.lossChunkRows) {
            let range = start..<min(counted.count, start + LlamaModel.lossChunkRows)
            let logits = outputProjection.forward(inputs.rows(range))
            // The gradient overwrites the chunk's logits.
            let result = try crossEntropy(logits: logits, labels: Array(countedTargets[range]),
                                          normalizer: normalizer, overwritingLogits: true)
            total += Double(result.loss)
            if let d = dInputs { d.rows(range).copy(from: outputProjection.backward(result.gradient)) }
        }
        if let d = dInputs {
            let dHidden = everyRow ? d : Self.scatter(d, to: counted, rows: rows, into: &hiddenGradient)
            backpropagate(normedHiddenGradient: dHidden.reshaped(hidden.shape))
        }
        return Float(total)
    }

    /// The rows `indices` of `x`, in order, in `buffer`.
    private static func gather(_ indices: [Int], of x: Tensor, into buffer: inout ActivationBuffer) -> Tensor {
        let width = x.columns
        let out = buffer.tensor([indices.count, width])
        for (i, row) in indices.enumerated() { (out.pointer + i * width).update(from: x.pointer + row * width, count: width) }
        return out
    }

    /// A `[rows, width]` tensor in `buffer` holding row `i` of `compact` at row `indices[i]` and
    /// zeros elsewhere.
    private static func scatter(_ compact: Tensor, to indices: [Int], rows: Int, into buffer: inout ActivationBuffer) -> Tensor {
        let width = compact.columns
        let out = buffer.zeroed([rows, width])
        for (i, row) in indices.enumerated() { (out.pointer + row * width).update(from: compact.pointer + i * width, count: width) }
        return out
    }

    /// Backward from `∂loss/∂logits` (`[batch·length, vocab]`) of the last forward.
    public func backward(logitsGradient dLogits: Tensor) {
        guard let last = lastBatch else { preconditionFailure("LlamaModel.backward before forward") }
        let d = dLogits.reshaped([last.batch, last.length, config.vocabSize])
        backpropagate(normedHiddenGradient: outputProjection.backward(d))
    }

    /// Backward from the gradient of the final norm's output `[batch, length, hidden]`.
    private func backpropagate(normedHiddenGradient: Tensor) {
        var dx = finalNorm.backward(normedHiddenGradient)
        for (i, layer) in layers.enumerated().reversed() {
            // The last block's activations are still in place: nothing ran in the pool since.
            if gradientCheckpointing && i < layers.count - 1 {
                precondition(blockInputs.count == layers.count, "LlamaModel.backward after a forward without checkpointing")
                _ = layer.forward(blockInputs[i], attentionMask: lastMask, positions: nil)
            }
            dx = layer.backward(dx)
        }
        embedding.backward(dx)
    }
}

extension LlamaModel {
    /// Opens a Hugging Face folder or a `.gguf` file and builds the decoder it holds.
    public convenience init(contentsOf url: URL) throws {
        let files = try ModelFiles(url: url)
        try self.init(files: files)
    }

    /// Builds the decoder held by already opened model files.
    public convenience init(files: ModelFiles) throws {
        let config = try DecoderConfig(files.config, source: files.url.path)
        try self.init(config: config, weights: files, naming: files.gguf != nil ? .gguf : .huggingFace)
    }
}
