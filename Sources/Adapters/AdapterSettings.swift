/// Everything that decides the shape and initialisation of an adapter.
public struct AdapterSettings: Codable, Sendable, Equatable {
    public var method: AdapterMethod
    /// r: the rank of the factors.
    public var rank: Int
    /// LoRA's alpha (scale alpha/r). LoRA-SB and LoRA-XS use alpha = r, so scale 1, as the
    /// authors do.
    public var alpha: Double
    /// Short target names (q,k,v,o,gate,up,down; query,key,value,attn_out,ffn_in,ffn_out).
    public var targets: [String]
    /// Seed for every random draw of the initialisation (LoRA's A, LoRA-XS's R, the
    /// randomized SVD's test matrix).
    public var seed: UInt64
    /// LoRA-SB: how many training samples the gradient estimate uses (authors: 50).
    public var initSamples: Int
    /// LoRA-SB: ΔW from the sign of the gradient (Adam's first step, the paper) or the raw
    /// gradient (an ablation).
    public var initGradient: InitGradient
    /// LoRA-SB: power iterations of the randomized SVD (authors: `svd_lowrank(niter=10)`).
    public var svdIterations: Int

    public enum InitGradient: String, Codable, Sendable, CaseIterable {
        case sign
        case raw
    }

    public init(method: AdapterMethod = .loraSB, rank: Int = 32, alpha: Double? = nil,
                targets: [String], seed: UInt64 = 0, initSamples: Int = 50,
                initGradient: InitGradient = .sign, svdIterations: Int = 10) {
        self.method = method
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.targets = targets
        self.seed = seed
        self.initSamples = initSamples
        self.initGradient = initGradient
        self.svdIterations = svdIterations
    }

    /// The factor applied to the low-rank update: alpha / r.
    public var scale: Float { Float(alpha / Double(rank)) }

    public func validate() throws {
        guard rank >= 1 else { throw AdapterError.invalidSetting("--rank must be at least 1, got \(rank)") }
        guard alpha > 0, alpha.isFinite else { throw AdapterError.invalidSetting("--alpha must be positive") }
        guard initSamples >= 1 else { throw AdapterError.invalidSetting("--init-samples must be at least 1") }
        guard svdIterations >= 0 else { throw AdapterError.invalidSetting("--svd-iterations must be non-negative") }
        if method.isLowRank && targets.isEmpty {
            throw AdapterError.invalidSetting("--targets names no layer")
        }
    }
}
