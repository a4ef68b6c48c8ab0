"""The PyTorch reference for the comparison workloads (see Benchmarks/ComparisonWorkloads.swift).

Each workload does exactly the work of the Swift workload of the same name with torch +
transformers + peft, fp32, as many threads as the Swift side uses: the same weights (the
SmolLM2 GGUF loaded by Transformers, MiniLM from its folder), the same deterministic inputs,
batch sizes, sequence lengths, targets and ranks. LoRA-SB is the small module
`base(x) + B(R(A x))` with only R trainable. Prints one `RESULT {json}` line, as the Swift side.

    python torch_workloads.py step-smollm2
"""
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import torch
from torch import nn

MODELS = Path.home() / ".cache/lorasb/models"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# The real-size models (scripts/fetch-qwen.sh), loaded from the same GGUFs as the Swift side.
QWEN_GGUF = {"qwen05": "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf", "qwen15": "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"}
SMOLLM2_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# The paper's BERT targets: query, value, attention output dense, FFN output dense.
MINILM_TARGET = re.compile(r"layer\.\d+\.(attention\.self\.query|attention\.self\.value|attention\.output\.dense|output\.dense)$")


def ids(count, value_range, offset=0):
    return torch.tensor([offset + (i * 7919 + 13) % value_range for i in range(count)], dtype=torch.long)


def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sgemm_ceiling():
    best = 0.0
    for m, n, k in [(1024, 1536, 576), (1024, 576, 1536)]:
        a = torch.rand(m, k) * 2 - 1
        b = torch.rand(n, k) * 2 - 1
        times = []
        torch.mm(a, b.t())
        for _ in range(5):
            t = time.perf_counter()
            torch.mm(a, b.t())
            times.append(time.perf_counter() - t)
        best = max(best, 2 * m * n * k / sorted(times)[2] / 1e9)
    return best


def median_seconds(repetitions, step):
    step()
    times = []
    for _ in range(repetitions):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


class LoRASBLinear(nn.Module):
    """`base(x) + B(R(A x))`: base, A and B frozen, R trainable."""

    def __init__(self, base, rank, b=None, r=None, a=None, generator=None):
        super().__init__()
        self.base = base
        out_features, in_features = base.weight.shape
        self.A = nn.Linear(in_features, rank, bias=False)
        self.R = nn.Linear(rank, rank, bias=False)
        self.B = nn.Linear(rank, out_features, bias=False)
        with torch.no_grad():
            if a is None:
                self.A.weight.normal_(0, 1 / math.sqrt(in_features), generator=generator)
                self.B.weight.normal_(0, 1 / math.sqrt(out_features), generator=generator)
                self.R.weight.copy_(torch.eye(rank) * 1e-3)
            else:
                self.A.weight.copy_(a)
                self.R.weight.copy_(r)
                self.B.weight.copy_(b)
        self.A.weight.requires_grad_(False)
        self.B.weight.requires_grad_(False)

    def forward(self, x):
        return self.base(x) + self.B(self.R(self.A(x)))


def replace_modules(model, matches, make):
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and matches(name):
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name), child, make(name, module))


def causal_lm(gguf=GGUF):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(MODELS), gguf_file=gguf, dtype=torch.float32)


def smollm2():
    return causal_lm()


def is_smollm2_target(name):
    return name.rsplit(".", 1)[-1] in SMOLLM2_TARGETS


def smollm2_flops(model, tokens, length):
    c = model.config
    linear = sum(m.weight.numel() for n, m in model.named_modules()
                 if isinstance(m, nn.Linear) and (is_smollm2_target(n) or n == "lm_head"))
    return 2 * linear * tokens + c.num_hidden_layers * 4 * tokens * length * c.num_attention_heads * (c.hidden_size // c.num_attention_heads)


def step_decoder(method, repetitions=2, bf16=False, gguf=GGUF):
    model = causal_lm(gguf)
    model.train()
    for p in model.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(7)
    if method == "lora-sb":
        replace_modules(model, is_smollm2_target, lambda n, m: LoRASBLinear(m, 32, generator=g))
    elif method == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0,
                                                 target_modules=SMOLLM2_TARGETS))
    else:
        for p in model.parameters():
            p.requires_grad_(True)
    b, t = 4, 256
    x = ids(b * t, model.config.vocab_size).view(b, t)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)

    def step():
        opt.zero_grad(set_to_none=False)
        # bf16: PyTorch's own mixed precision on CPU (oneDNN, AVX-512 BF16), the counterpart of
        # our bf16 frozen-weight products; master weights, optimizer and loss stay fp32.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=x, labels=x).loss
        loss.backward()
        opt.step()

    seconds = median_seconds(repetitions, step)
    return {"seconds": seconds, "tokens_per_second": b * t / seconds,
            "trainable_parameters": sum(p.numel() for p in params)}


def step_minilm(repetitions=3, bf16=False):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(MODELS / "all-MiniLM-L6-v2"), num_labels=2,
                                                               dtype=torch.float32)
    model.train()
    # Same as the Swift side: no dropout (LoRA-SB uses none; the Swift encoder has no dropout).
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    for p in model.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(7)
    replace_modules(model, lambda n: MINILM_TARGET.search(n) is not None,
                    lambda n, m: LoRASBLinear(m, 24, generator=g))
    for p in model.classifier.parameters():
        p.requires_grad_(True)
    b, t = 32, 128
    x = ids(b * t, 19000, 1000).view(b, t)
    labels = torch.tensor([i % 2 for i in range(b)])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)

    def step():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=x, attention_mask=torch.ones_like(x), labels=labels).loss
        loss.backward()
        opt.step()

    seconds = median_seconds(repetitions, step)
    return {"seconds": seconds, "tokens_per_second": b * t / seconds}


def init_decoder(samples=50, rank=32, bf16=False, gguf=GGUF, then_steps=0):
    model = causal_lm(gguf)
    model.train()
    for p in model.parameters():
        p.requires_grad_(False)
    b, t = 4, 256
    all_ids = ids(samples * t, model.config.vocab_size).view(samples, t)
    start = time.perf_counter()
    targets = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear) and is_smollm2_target(n)]
    for _, m in targets:
        m.weight.requires_grad_(True)
    for first in range(0, samples, b):
        x = all_ids[first:first + b]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=x, labels=x).loss
        loss.backward()
    gradient_seconds = time.perf_counter() - start
    eta = 1e-4
    factors = {}
    for name, m in targets:
        update = -eta * torch.sign(m.weight.grad)
        m.weight.grad = None
        m.weight.requires_grad_(False)
        # The authors' call: svd_lowrank of ΔWᵀ with q = r, niter = 10.
        u, s, v = torch.svd_lowrank(update.T, q=rank, niter=10)
        factors[name] = (v, torch.diag(s), u.T)
    replace_modules(model, lambda n: n in factors,
                    lambda n, m: LoRASBLinear(m, rank, b=factors[n][0], r=factors[n][1], a=factors[n][2]))
    seconds = time.perf_counter() - start
    values = {"seconds": seconds, "gradient_seconds": gradient_seconds, "svd_seconds": seconds - gradient_seconds,
              "samples_per_second": samples / seconds}
    if then_steps:
        # The real-size job: the initialisation, then training steps of batch 4 × 256.
        x = ids(b * t, model.config.vocab_size).view(b, t)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
        started = time.perf_counter()
        for _ in range(then_steps):
            opt.zero_grad(set_to_none=False)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(input_ids=x, labels=x).loss
            loss.backward()
            opt.step()
        values["step_seconds"] = (time.perf_counter() - started) / then_steps
        values["tokens_per_second"] = b * t / values["step_seconds"]
    return values


def generate(batch, new_tokens=128, repetitions=2):
    model = smollm2()
    model.eval()
    prompts = ids(batch * 16, model.config.vocab_size).view(batch, 16)
    mask = torch.ones_like(prompts)
    produced = [0]

    def run():
        with torch.no_grad():
            out = model.generate(input_ids=prompts, attention_mask=mask, max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
        produced[0] = (out.shape[1] - prompts.shape[1]) * batch

    seconds = median_seconds(repetitions, run)
    return {"seconds": seconds, "tokens_per_second": produced[0] / seconds}


WORKLOADS = {
    "step-smollm2": lambda: step_decoder("lora-sb"),
    "step-minilm": step_minilm,
    "step-smollm2-bf16": lambda: step_decoder("lora-sb", bf16=True),
    "step-minilm-bf16": lambda: step_minilm(bf16=True),
    "init-smollm2": init_decoder,
    "init-smollm2-bf16": lambda: init_decoder(bf16=True),
    "generate-b1": lambda: generate(1),
    "generate-b8": lambda: generate(8),
    "lora-step-smollm2": lambda: step_decoder("lora"),
    "full-step-smollm2": lambda: step_decoder("full", repetitions=1),
    "step-qwen05": lambda: step_decoder("lora-sb", repetitions=1, gguf=QWEN_GGUF["qwen05"]),
    "step-qwen05-bf16": lambda: step_decoder("lora-sb", repetitions=1, bf16=True, gguf=QWEN_GGUF["qwen05"]),
    "init-qwen05": lambda: init_decoder(gguf=QWEN_GGUF["qwen05"]),
    "init-qwen05-bf16": lambda: init_decoder(bf16=True, gguf=QWEN_GGUF["qwen05"]),
    "job-qwen15": lambda: init_decoder(gguf=QWEN_GGUF["qwen15"], then_steps=20),
}


def main():
    name = sys.argv[1]
    threads = int(os.environ.get("LORASB_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    before = sgemm_ceiling()
    values = WORKLOADS[name]()
    ceiling = max(before, sgemm_ceiling())
    values.update({"sgemm_ceiling_gflops": ceiling, "peak_rss_mb": peak_rss_mb(), "threads": threads,
                   "load_average": os.getloadavg()[0], "torch": torch.__version__})
    print("RESULT " + json.dumps({"workload": name, **values}), flush=True)


if __name__ == "__main__":
    main()
