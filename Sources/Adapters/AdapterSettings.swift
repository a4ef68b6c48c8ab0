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
    /// LoRA-SB: which training samples the gradient estimate uses.
    public var initOrder: InitOrder
    /// LoRA-SB ablation: the subspace B and A span, from ΔW (the method) or from a random matrix.
    public var initBasis: InitBasis
    /// LoRA-SB ablation: Gaussian noise added to ΔW before its SVD, as a multiple of ΔW's root
    /// mean square (0: none; the paper's levels are 1e-2 … 1e-5).
    public var initNoise: Double
    /// LoRA-SB ablation: where ΔW's singular values go, into R (the method) or into B.
    public var initSplit: InitSplit
    /// Gradient-based initialisations (LoRA-SB, LoRA-GA): bytes the summed target gradients
    /// may take at once (4 per targeted weight); the samples are passed through the model
    /// once per group of targets that fits (`GradientEstimate`). nil: no limit, one pass.
    public var initMemoryBudget: Int?
    /// LoRA-GA: γ of its stable scale, `B₀, A₀ ×= out^¼ / √γ` (the authors' default 16).
    public var loraGAGamma: Double
    /// The LoRA-GA authors' γ (`stable_gamma: 16`), the default.
    public static let authorsLoRAGAGamma = 16.0

    public enum InitGradient: String, Codable, Sendable, CaseIterable {
        case sign
        case raw
    }

    public enum InitOrder: String, Codable, Sendable, CaseIterable {
        /// The first `initSamples` of the training set shuffled with `seed`, as the authors'
        /// shuffling loader draws them: a sorted data set does not bias the estimate.
        case shuffled
        /// The first `initSamples` in file order.
        case file
    }

    /// The truncated SVD that gives B and A (`LoRASBFactorization`).
    public enum InitBasis: String, Codable, Sendable, CaseIterable {
        /// Of the estimated first step ΔW: the method.
        case update
        /// Of a Kaiming-uniform random matrix of ΔW's shape and norm: the paper's baseline.
        case random
    }

    /// How the truncated SVD `U_r Σ_r V_rᵀ` is split into B, R and A.
    public enum InitSplit: String, Codable, Sendable, CaseIterable {
        /// `B = U_r`, `R = Σ_r`, `A = V_rᵀ`: B and A orthonormal, the method.
        case orthonormal
        /// `B = U_r Σ_r`, `R = I`, `A = V_rᵀ`: the same product, B not orthonormal.
        case scaled
    }

    public init(method: AdapterMethod = .loraSB, rank: Int = 32, alpha: Double? = nil,
                targets: [String], seed: UInt64 = 0, initSamples: Int = 50,
                initGradient: InitGradient = .sign, svdIterations: Int = 10, initOrder: InitOrder = .shuffled,
                initBasis: InitBasis = .update, initNoise: Double = 0, initSplit: InitSplit = .orthonormal,
                initMemoryBudget: Int? = nil, loraGAGamma: Double = AdapterSettings.authorsLoRAGAGamma) {
        self.method = method
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.targets = targets
        self.seed = seed
        self.initSamples = initSamples
        self.initGradient = initGradient
        self.svdIterations = svdIterations
        self.initOrder = initOrder
        self.initBasis = initBasis
        self.initNoise = initNoise
        self.initSplit = initSplit
        self.initMemoryBudget = initMemoryBudget
        self.loraGAGamma = loraGAGamma
    }

    /// The factor applied to the low-rank update: alpha / r.
    public var scale: Float { Float(alpha / Double(rank)) }

    public func validate() throws {
        guard rank >= 1 else { throw SettingError("rank", "must be at least 1, got \(rank)") }
        guard alpha > 0, alpha.isFinite else { throw SettingError("alpha", "must be positive, got \(alpha)") }
        guard initSamples >= 1 else { throw SettingError("initSamples", "must be at least 1, got \(initSamples)") }
        guard svdIterations >= 0 else { throw SettingError("svdIterations", "must not be negative, got \(svdIterations)") }
        guard initNoise.isFinite, initNoise >= 0 else {
            throw SettingError("initNoise", "must be a number of at least 0 (a multiple of ΔW's root mean square), got \(initNoise)")
        }
        if let b = initMemoryBudget, b < 1 {
            throw SettingError("initMemoryBudget", "must be positive, got \(b) bytes")
        }
        guard loraGAGamma > 0, loraGAGamma.isFinite else { throw SettingError("loraGAGamma", "must be positive, got \(loraGAGamma)") }
        if method.isLowRank && targets.isEmpty {
            throw SettingError("targets", "names no layer")
        }
    }

    enum CodingKeys: String, CodingKey {
        case method, rank, alpha, targets, seed, initSamples, initGradient, svdIterations, initOrder
        case initBasis, initNoise, initSplit
        // Manifests are written in snake case, whose round trip spells an acronym "Ga".
        case initMemoryBudget, loraGAGamma = "loraGaGamma"
    }

    /// Manifests written before `initOrder` existed took the samples in file order; those
    /// written before the initialisation ablations used the method's own initialisation; those
    /// written before `initMemoryBudget` and `loraGAGamma` existed had no budget and no LoRA-GA.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(AdapterMethod.self, forKey: .method)
        rank = try c.decode(Int.self, forKey: .rank)
        alpha = try c.decode(Double.self, forKey: .alpha)
        targets = try c.decode([String].self, forKey: .targets)
        seed = try c.decode(UInt64.self, forKey: .seed)
        initSamples = try c.decode(Int.self, forKey: .initSamples)
        initGradient = try c.decode(InitGradient.self, forKey: .initGradient)
        svdIterations = try c.decode(Int.self, forKey: .svdIterations)
        initOrder = try c.decodeIfPresent(InitOrder.self, forKey: .initOrder) ?? .file
        initBasis = try c.decodeIfPresent(InitBasis.self, forKey: .initBasis) ?? .update
        initNoise = try c.decodeIfPresent(Double.self, forKey: .initNoise) ?? 0
        initSplit = try c.decodeIfPresent(InitSplit.self, forKey: .initSplit) ?? .orthonormal
        initMemoryBudget = try c.decodeIfPresent(Int.self, forKey: .initMemoryBudget)
        loraGAGamma = try c.decodeIfPresent(Double.self, forKey: .loraGAGamma) ?? Self.authorsLoRAGAGamma
    }
}
