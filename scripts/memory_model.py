#!/usr/bin/env python3
"""Peak resident memory (VmHWM) of LoRA-SB jobs on decoder GGUFs, counted from the code. Arithmetic only.

Workloads (Benchmarks/TrainingStepWorkloads.swift, InitializationWorkload.swift): LoRA-SB r = 32 on q, k,
v, o, gate, up, down, batches of 4 x 256; (a) a training step, (b) the same with gradient checkpointing,
(c) the `job`: initialisation (summed gradients of every target in one pass over 50 samples, then one
randomized SVD per target) followed by steps. Every buffer below is allocated zero-filled
(TensorStorage.init writes it), so it is resident for its whole life; buffers are kept across steps
(ActivationBuffer), so the peak of a step is the sum of everything it ever allocates.

The runtime baseline (Swift runtime, Foundation, OpenBLAS's thread buffers, stacks) is not derived: it
is what SmolLM2's measured fp32 step leaves once the counted components are taken off, and the same
constant is used for every model. Sizes are MiB (2^20 bytes), as the benchmarks' peak_rss_mb."""

MiB, GiB = 1 << 20, 1 << 30
F32 = 4
BATCH, LENGTH, RANK = 4, 256, 32
N = BATCH * LENGTH          # rows of every activation
CORES = 2                   # Parallel.cores on the measuring machine (attention's per-worker scratch)
LOSS_ROWS = 256             # LlamaModel.lossChunkRows
PANEL_BYTES = 8 << 20       # Gemm.packedPanelBytes

# file: the GGUF's bytes (mmapped: GGUFFile.validatedInfo scans every tensor's block scales at load, so
# all tensor pages are touched and stay resident); header: its metadata bytes (parsed once more into Swift
# arrays, GGUFValue: about the same size again). The Qwen figures were read from the files' headers: both
# Qwen2.5-Coder GGUFs hold an output.weight (0.5B Q8_0, 1.5B Q6_K), so LlamaModel treats them as untied.
MODELS = {
    "SmolLM2-135M Q4_1": dict(layers=30, d=576, heads=9, kv_heads=3, head_dim=64, ffn=1536, vocab=49152,
                              tied=True, qkv_bias=False, file=98_362_432, header=1_785_664),
    "Qwen2.5-Coder-0.5B Q4_K_M": dict(layers=24, d=896, heads=14, kv_heads=2, head_dim=64, ffn=4864, vocab=151936,
                                      tied=False, qkv_bias=True, file=491_400_064, header=5_947_750),
    "Qwen2.5-Coder-1.5B Q4_K_M": dict(layers=28, d=1536, heads=12, kv_heads=2, head_dim=128, ffn=8960, vocab=151936,
                                      tied=False, qkv_bias=True, file=1_117_320_768, header=5_950_506),
    # Assumed: a single 4.68e9-byte Q4_K_M file with output.weight, the Qwen2.5 tokenizer's header.
    "Qwen2.5-7B-Instruct Q4_K_M": dict(layers=28, d=3584, heads=28, kv_heads=4, head_dim=128, ffn=18944, vocab=152064,
                                       tied=False, qkv_bias=True, file=4_680_000_000, header=5_950_000),
}

# Measured peak_rss_mb (BENCHMARKS.md, "Real size against PyTorch"): the Benchmarks workloads
# step-smollm2, step-smollm2-checkpointed, step-smollm2-bf16, step-qwen05, step-qwen05-bf16,
# init-qwen05-bf16 and job-qwen15, with the frozen blocks' dropped activations; None: not measured yet.
MEASURED = {
    ("SmolLM2-135M Q4_1", "step"): 1308,
    ("SmolLM2-135M Q4_1", "step, checkpointed"): 524,
    ("SmolLM2-135M Q4_1", "step, bf16"): 1312,
    ("Qwen2.5-Coder-0.5B Q4_K_M", "step"): 2559,
    ("Qwen2.5-Coder-0.5B Q4_K_M", "step, bf16"): 2569,
    ("Qwen2.5-Coder-0.5B Q4_K_M", "init, bf16"): 4474,
    ("Qwen2.5-Coder-1.5B Q4_K_M", "job, --init-memory 2"): None,
}
CALIBRATION = ("SmolLM2-135M Q4_1", "step")


def targets(m):
    """(out, in) of q, k, v, o, gate, up, down of every layer, in the model's order (resolveTargets)."""
    d, qw, kw, f = m["d"], m["heads"] * m["head_dim"], m["kv_heads"] * m["head_dim"], m["ffn"]
    return [(qw, d), (kw, d), (kw, d), (d, qw), (f, d), (f, d), (d, f)] * m["layers"]


def per_token(m):
    """fp32 values per token that one block's forward writes, and as many its backward writes:
    forward (LlamaDecoderLayer + its layers' ActivationBuffers): input norm y, q, k, v (Linear
    outputs), context, o output, `middle`, post-attention norm y, gate, up, SwiGLU hidden, down output,
    the block `output` = 6d + 2 qw + 2 kw + 3f, plus the two norms' inverse RMS (1 each).
    Backward (BufferPool names): block.dmiddle, block.dx, both norms' dx, attention dq, dk, dv, q's dx
    (key/value/up add into it: no buffer), o's dx (qw), mlp dgate, dup, down's dx (f), gate's dx
    = the same 6d + 2 qw + 2 kw + 3f."""
    d, qw, kw, f = m["d"], m["heads"] * m["head_dim"], m["kv_heads"] * m["head_dim"], m["ffn"]
    return 6 * d + 2 * qw + 2 * kw + 3 * f


def dropped_per_token(m):
    """Of the forward's values, those no backward reads when the block's weights are frozen
    (DroppableActivation): the normalised inputs of q/k/v and of gate/up (only a weight's gradient
    reads its input; LoRA-SB's R reads the adapter's own u), the context (o's input), the SwiGLU hidden
    (down's input), and the o and down outputs (they only feed the residual sums): 4d + qw + f. They
    go to one set of buffers all blocks share. While a block's targets are trainable (the
    initialisation's gradient pass) it keeps them."""
    d, qw, f = m["d"], m["heads"] * m["head_dim"], m["ffn"]
    return 4 * d + qw + f


def panel_rows(rows, cols, value_bytes):
    return max(1, min(rows, PANEL_BYTES // (value_bytes * cols)))   # Gemm.panelRows


def components(m, checkpointed=False, bf16=False, adapters=True, init=False, trainable_layers=None):
    """Bytes of everything but the baseline and the initialisation's gradients, by component.
    `trainable_layers`: blocks whose targets are trainable (the initialisation's pass; all of them
    without a budget), which keep every activation; the others drop theirs (dropped_per_token)."""
    L, d, h, V = m["layers"], m["d"], m["heads"], m["vocab"]
    shapes = targets(m)
    matrices = shapes[:7] + [(V, d)]                   # distinct shapes the products decode; + the head
    probabilities = BATCH * h * LENGTH * LENGTH        # Attention.probabilities [B, h, T, T], per block
    full = N * (per_token(m) + 2) + probabilities
    frozen = full - N * dropped_per_token(m)
    keeping = (L if trainable_layers is None else trainable_layers) if init else 0
    c = {}
    # Frozen weights: the mapped file (packed matrices read in place, FileBackedMatrix), its parsed
    # metadata, and the fp32 copies of norm weights and q/k/v biases (WeightSource.loadParameter, 1-D).
    qkv = m["heads"] * m["head_dim"] + 2 * m["kv_heads"] * m["head_dim"]
    c["weights (mapped GGUF + metadata + fp32 norms/biases)"] = (
        m["file"] + m["header"] + F32 * (L * 2 * d + d + (L * qkv if m["qkv_bias"] else 0)))
    if checkpointed:
        # LlamaModel.gradientCheckpointing: every block's output stays its own (it is the next block's
        # input, kept in blockInputs); the internals of all blocks share one BufferPool = one block's.
        c["activations kept for backward"] = F32 * (L * N * d + (full if keeping else frozen) - N * d)
    else:
        c["activations kept for backward"] = F32 * (keeping * full + (L - keeping) * frozen)
    # One block's dropped activations, shared by all blocks (LlamaModel's `dropped` BufferPool).
    c["dropped activations (shared)"] = F32 * N * dropped_per_token(m) if keeping < L else 0
    # BufferPool.shareAlternately: even and odd blocks each share one pool of backward scratch; plus
    # attention's score-gradient scratch, one T x T per concurrent worker (Gemm.concurrentWorkers).
    workers = min(CORES, BATCH * m["kv_heads"])
    c["shared backward scratch (2 pools)"] = F32 * 2 * (N * per_token(m) + workers * LENGTH * LENGTH)
    # LlamaModel: embedding output, final norm y / inverse RMS / dx, hiddenGradient (each [N, d]).
    c["model-level buffers"] = F32 * (4 * N * d + N)
    # Loss over 256-row chunks: the head Linear's output [256, V] (the gradient overwrites it), its
    # input gradient [256, d], the cross-entropy's log-sum-exps.
    rows = min(LOSS_ROWS, N)
    c["loss chunk (256 rows x vocab)"] = F32 * (rows * V + rows * d + rows)
    if not bf16:
        # ScratchBuffers.floatPanel: one decoded fp32 panel, sized by the largest panel of any product.
        c["decode panel scratch"] = max(panel_rows(o, i, 4) * i * 4 for o, i in matrices)
    else:
        # Gemm.packedBF16Product: bf16Panel (<= 8 MiB) and the bf16-rounded activations, m x (k + 1)
        # forward, m x (rows per panel + 1) backward, the largest product's (no bf16 weight copies).
        panel = max(panel_rows(o, i, 2) * i * 2 for o, i in matrices)
        acts = [r * (i + 1) for (o, i), r in zip(matrices, [N] * 7 + [rows])]
        acts += [r * (panel_rows(o, i, 2) + 1) for (o, i), r in zip(matrices, [N] * 7 + [rows])]
        scratch = 2 * max(acts)
        if init:   # bf16TransposedProduct for the targets' gradients: out x N and N x in, bf16
            scratch = 2 * max(max(acts), max(o * ((N + 1) & ~1) for o, i in shapes[:7]))
            scratch += 2 * max(N * i for o, i in shapes[:7])
        c["decode panel scratch"] = panel + scratch
    if adapters:
        # LoRAXSAdapter, per target: u = x A^T, v = u R^T and their gradients, [N, r] each, never pooled
        # (not even under checkpointing); B [out, r] and A [r, in] fp32; R, its gradient and AdamW's two
        # moments, r x r each.
        c["adapter activations (4 x N x r per target)"] = F32 * len(shapes) * 4 * N * RANK
        c["adapter + optimizer (B, A, R, dR, m, v)"] = F32 * sum(RANK * (o + i) + 4 * RANK * RANK for o, i in shapes)
    return c


def gradient_bytes(m):
    """GradientEstimate.gradientBytes: 4 bytes per targeted weight (the Parameter's fp32 gradient)."""
    return [F32 * o * i for o, i in targets(m)]


def target_groups(sizes, budget):
    """GradientEstimate.targetGroups: consecutive targets whose gradients fit the budget."""
    if budget is None:
        return [range(len(sizes))]
    assert max(sizes) <= budget, f"the budget cannot hold one target ({max(sizes) / 1e9:.3g} GB)"
    groups, start, used = [], 0, 0
    for i, s in enumerate(sizes):
        if used + s > budget:
            groups.append(range(start, i))
            start, used = i, 0
        used += s
    groups.append(range(start, len(sizes)))
    return groups


def init_extra(m, budget=None):
    """Largest extra of the initialisation over its model buffers, and the number of passes.
    Per group: every target's summed gradient (alive until its SVD is done), the factors B, R, A of the
    groups before (LoRASBInitializer keeps them), and the randomized SVD's workspaces of the concurrent
    targets (ConcurrentTargets, one per core: test/range/co-range bases, A Q, the small SVD, V^T,
    LAPACK's row-major copies, about 4 q (out + in) values each). The peak of a group is at the end of
    its pass, before the first gradient is freed."""
    shapes, sizes = targets(m), gradient_bytes(m)
    groups = target_groups(sizes, budget)
    svd = F32 * sum(sorted(4 * RANK * (o + i) for o, i in shapes[:7])[-CORES:])
    worst, done = 0, 0
    for g in groups:
        worst = max(worst, sum(sizes[i] for i in g) + done + svd)
        done += F32 * sum(RANK * (shapes[i][0] + shapes[i][1]) + RANK * RANK for i in g)
    # Blocks a group's targets touch (7 targets per block), which keep every activation in its pass.
    layers = max(len({i // 7 for i in g}) for g in groups)
    return worst, len(groups), layers


def peaks(m, baseline, budget=None):
    step = sum(components(m).values())
    ckpt = sum(components(m, checkpointed=True).values())
    bf16 = sum(components(m, bf16=True).values())
    extra, passes, layers = init_extra(m, budget)
    init = sum(components(m, adapters=False, init=True, trainable_layers=layers).values()) + extra
    init_bf16 = sum(components(m, bf16=True, adapters=False, init=True, trainable_layers=layers).values()) + extra
    # The job keeps init's activations and pools; its gradients are freed (munmap, or reused by the steps'
    # small allocations) before the adapters' buffers and AdamW exist: peak = max of the two phases.
    return {"step": baseline + step, "step, checkpointed": baseline + ckpt, "step, bf16": baseline + bf16,
            "init": baseline + init, "init, bf16": baseline + init_bf16, "job": baseline + max(init, step)}, passes


def fmt(b): return f"{b / MiB:,.0f}"


measured = MEASURED[CALIBRATION]
BASELINE = measured * MiB - sum(components(MODELS[CALIBRATION[0]]).values())
print(f"runtime baseline = measured {CALIBRATION[0]} {CALIBRATION[1]} ({measured} MiB) - its counted components"
      f" = {fmt(BASELINE)} MiB (used for every model)\n")

for name, m in MODELS.items():
    print(f"## {name}: {m['layers']} layers, d={m['d']}, {m['heads']}/{m['kv_heads']} heads of {m['head_dim']},"
          f" ffn={m['ffn']}, vocab={m['vocab']}, {'tied' if m['tied'] else 'untied'}; batch {BATCH} x {LENGTH}, r={RANK}")
    cols = {"(a) step": components(m), "(b) ckpt": components(m, checkpointed=True),
            "init pass": components(m, adapters=False, init=True)}
    keys = list(cols["(a) step"])
    print(f"| component (MiB) | " + " | ".join(cols) + " |\n| --- | " + " | ".join("---:" for _ in cols) + " |")
    print(f"| runtime baseline (calibrated) | " + " | ".join(fmt(BASELINE) for _ in cols) + " |")
    for k in keys:
        print(f"| {k} | " + " | ".join(fmt(c.get(k, 0)) for c in cols.values()) + " |")
    g = sum(gradient_bytes(m))
    print(f"| summed gradients of all {len(targets(m))} targets (init) | | | {fmt(g)} |")
    p, _ = peaks(m, BASELINE)
    print(f"| **peak** | {fmt(p['step'])} | {fmt(p['step, checkpointed'])} | {fmt(p['init'])} |")
    print(f"(c) job = max(init {fmt(p['init'])}, step {fmt(p['step'])}) = {fmt(p['job'])} MiB"
          f" ({p['job'] / GiB:.2f} GiB); bf16 step {fmt(p['step, bf16'])} MiB\n")

print("## Predicted against measured (MiB)")
print("| model | workload | predicted | measured | measured / predicted |\n| --- | --- | ---: | ---: | ---: |")
for name, m in MODELS.items():
    p, _ = peaks(m, BASELINE)
    p["job, --init-memory 2"] = peaks(m, BASELINE, int(2e9))[0]["job"]
    for w in ("step", "step, checkpointed", "step, bf16", "init, bf16", "job", "job, --init-memory 2"):
        got = MEASURED.get((name, w))
        ratio = "calibration" if (name, w) == CALIBRATION else (f"{got / (p[w] / MiB):.3f}" if got else "")
        print(f"| {name} | {w} | {fmt(p[w])} | {f'{got:,}' if got else ''} | {ratio} |")

m = MODELS["Qwen2.5-7B-Instruct Q4_K_M"]
print("\n## Qwen2.5-7B: initialisation with an init memory budget (--init-memory GB = 1e9 bytes), then steps")
print("| budget GB | passes | job peak GiB | job peak GiB, checkpointed (init and steps) |\n| ---: | ---: | ---: | ---: |")
for budget in (None, 16, 8, 4, 2, 1, 0.5):
    b = None if budget is None else int(budget * 1e9)
    (p, passes), (extra, _, layers) = peaks(m, BASELINE, b), init_extra(m, b)
    ckpt = BASELINE + max(sum(components(m, checkpointed=True, adapters=False, init=True,
                                         trainable_layers=layers).values()) + extra,
                          sum(components(m, checkpointed=True).values()))
    print(f"| {budget if budget else 'none'} | {passes} | {p['job'] / GiB:.2f} | {ckpt / GiB:.2f} |")
