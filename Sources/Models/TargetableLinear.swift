import NN

/// A linear layer an adapter can be attached to, with the names that identify it.
public struct TargetableLinear {
    /// The short target name: q, k, v, o, gate, up, down (decoders) or query, key, value,
    /// attn_out, ffn_in, ffn_out (BERT encoders).
    public let shortName: String
    /// The block index.
    public let layerIndex: Int
    /// The module path as Transformers and PEFT name it, e.g. `model.layers.3.self_attn.q_proj`.
    public let modulePath: String
    public let linear: Linear
}

/// A model whose linear layers can carry adapters.
public protocol AdaptableModel: AnyObject {
    /// Every targetable linear layer, block by block.
    var targetableLayers: [TargetableLinear] { get }
    /// Every parameter under its Transformers checkpoint name.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// Every linear layer, the targetable ones and the rest (heads, pooler).
    var linearLayers: [Linear] { get }
}

extension AdaptableModel {
    /// The targetable layers whose short name is in `names` (all when `names` is empty).
    public func targetableLayers(named names: Set<String>) -> [TargetableLinear] {
        names.isEmpty ? targetableLayers : targetableLayers.filter { names.contains($0.shortName) }
    }

    /// Marks every parameter frozen (no weight gradients); adapters add their own trainables.
    public func freezeAllParameters() {
        for (_, p) in namedParameters { p.isTrainable = false }
    }

    /// The parameter with checkpoint name `name`, if any.
    public func parameter(named name: String) -> Parameter? {
        namedParameters.first { $0.name == name }?.parameter
    }
}
