#!/usr/bin/env python3
"""The data-parallel scaling model of BENCHMARKS.md: bytes all-reduced per step per method for
SmolLM2-135M (r = 32 on all seven projections; LoRA also at its usual r = 8) and the efficiency
a ring all-reduce predicts at 1 and 10 Gbit/s for 2 ... 64 nodes. Arithmetic only.

Every node computes one step of 4 sequences x 256 tokens (weak scaling: the global batch is
4 x N), timed on this 2-core machine (BENCHMARKS.md, "Against PyTorch"), then all-reduces the
fp32 gradients of what trains; nothing overlaps. A ring all-reduce of S bytes sends and receives
2 (N-1)/N S per node in 2 (N-1) messages per bucket of at most 16 MB (BucketedAllReduce)."""

LAYERS, HIDDEN, KV, FFN, PARAMETERS = 30, 576, 192, 1536, 134_515_008
# (in, out) of q, k, v, o, gate, up, down
SHAPES = [(HIDDEN, HIDDEN), (HIDDEN, KV), (HIDDEN, KV), (HIDDEN, HIDDEN), (HIDDEN, FFN), (HIDDEN, FFN), (FFN, HIDDEN)]
LATENCY = 50e-6          # seconds per message hop on TCP over Ethernet
BUCKET = 4 * (1 << 22)   # bytes

def lora(r): return LAYERS * sum(r * (i + o) for i, o in SHAPES)
def core(r): return LAYERS * len(SHAPES) * r * r

# method: (trainable parameters, measured seconds of one 4 x 256 step on one node)
METHODS = {
    "LoRA-SB r=32": (core(32), 4.38),
    "LoRA-XS r=32": (core(32), 4.38),   # the same trainable shape and step as LoRA-SB
    "LoRA r=8": (lora(8), 4.00),
    "LoRA r=32": (lora(32), 4.00),     # step time of r = 8 (the adapter is a small part of it)
    "full": (PARAMETERS, 4.85),
}

def comm_seconds(size, nodes, gbit):
    if nodes == 1: return 0.0
    buckets = -(-size // BUCKET)
    return 2 * (nodes - 1) / nodes * size * 8 / (gbit * 1e9) + buckets * 2 * (nodes - 1) * LATENCY

nodes = [2, 4, 8, 16, 32, 64]
print("| method | trainable | MB all-reduced / step | " + " | ".join(f"{g} Gbit/s, {n} nodes" for g in (1, 10) for n in nodes) + " |")
print("| --- | ---: | ---: | " + " | ".join("---:" for _ in range(2 * len(nodes))) + " |")
for name, (params, step) in METHODS.items():
    size = 4 * params
    cells = []
    for g in (1, 10):
        for n in nodes:
            c = comm_seconds(size, n, g)
            cells.append(f"{100 * step / (step + c):.0f}%")
    print(f"| {name} | {params:,} | {size / 1e6:.3g} | " + " | ".join(cells) + " |")
