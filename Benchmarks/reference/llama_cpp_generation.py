"""Generation speed against llama.cpp on the same GGUF files, side by side in one run: for each
model and batch, our `Benchmarks generate-gguf-<model>-b<batch>` and llama.cpp's
`llama-batched-bench` with the same shape (16 prompt tokens per sequence, then 128 new tokens,
every sequence its own prompt, logits at every step), alternately, each in a fresh process; and
llama-bench's standard tg128 (batch 1, empty context) as the usual single-stream number.
Same thread count on both sides. Prints a markdown table. Standard library only.

    python llama_cpp_generation.py --benchmarks .build/release/Benchmarks --llama-bin DIR \
        [--threads 2] [--llama-threads N] [--repetitions 2] [--batches 1,8] [--precision fp32|q8]
        [--json FILE] [model ...]

--precision q8 runs our `generate-gguf-<model>-b<batch>-q8` (integer dot products on the quantised
blocks, as llama.cpp); --llama-threads gives llama.cpp another thread count than ours (its
workers spin-wait at every barrier, which on a loaded machine can make 1 thread the faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODELS_DIR = Path(os.environ.get("LORASB_MODELS", Path.home() / ".cache/lorasb/models"))
MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "qwen0.5b": "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf",
    "qwen1.5b": "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf",
}
PROMPT, NEW = 16, 128   # as Benchmarks/GGUFGenerationWorkloads.swift


def load():
    return os.getloadavg()[0]


def ours(benchmarks, name, batch, precision):
    suffix = "" if precision == "fp32" else f"-{precision}"
    out = subprocess.run([benchmarks, f"generate-gguf-{name}-b{batch}{suffix}"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[len("RESULT "):])
            return {"tokens_per_second": r["tokens_per_second"], "seconds": r["seconds"], "load": load()}
    sys.exit(f"no result from Benchmarks generate-gguf-{name}-b{batch}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def batched_bench(bin_dir, model, batch, threads):
    cmd = [str(bin_dir / "llama-batched-bench"), "-m", str(model), "-t", str(threads), "-tb", str(threads),
           "-c", str(batch * (PROMPT + NEW)), "-b", "2048", "-ub", "512",
           "-npp", str(PROMPT), "-ntg", str(NEW), "-npl", str(batch), "--output-format", "jsonl"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        if line.startswith("{") and '"speed_tg"' in line:
            r = json.loads(line)
            # New tokens over the whole time (prompt included), as our side measures.
            return {"tokens_per_second": batch * NEW / r["t"], "decode_tokens_per_second": r["speed_tg"],
                    "seconds": r["t"], "load": load()}
    sys.exit(f"no result from {' '.join(cmd)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def llama_bench_tg(bin_dir, model, threads):
    cmd = [str(bin_dir / "llama-bench"), "-m", str(model), "-p", "0", "-n", str(NEW), "-t", str(threads),
           "-r", "2", "-o", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(out.stdout)[0]["avg_ts"]
    except (ValueError, IndexError, KeyError):
        sys.exit(f"no result from {' '.join(cmd)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--benchmarks", required=True)
    ap.add_argument("--llama-bin", required=True, type=Path)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--llama-threads", type=int, help="llama.cpp's threads (default: --threads)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "q8"], help="our products' precision")
    ap.add_argument("--repetitions", type=int, default=2)
    ap.add_argument("--batches", default="1,8", help="comma-separated batch sizes (default 1,8)")
    ap.add_argument("--json")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    llama_threads = args.llama_threads or args.threads
    rows = []
    for name in args.models or list(MODELS):
        model = MODELS_DIR / MODELS[name]
        if not model.exists():
            print(f"skipping {name}: {model} is missing", file=sys.stderr)
            continue
        tg128 = llama_bench_tg(args.llama_bin, model, llama_threads)
        print(f"{name}: llama-bench tg{NEW} {tg128:.1f} t/s", file=sys.stderr, flush=True)
        for batch in [int(b) for b in args.batches.split(",")]:
            a, b = [], []
            for rep in range(args.repetitions):
                a.append(ours(args.benchmarks, name, batch, args.precision))
                b.append(batched_bench(args.llama_bin, model, batch, llama_threads))
                print(f"{name} b{batch} {rep + 1}/{args.repetitions}: ours {a[-1]['tokens_per_second']:.1f} t/s, "
                      f"llama.cpp {b[-1]['tokens_per_second']:.1f} t/s (load {load():.1f})", file=sys.stderr, flush=True)
            med = lambda rs, k: statistics.median(r[k] for r in rs)
            rows.append({"model": name, "file": MODELS[name], "batch": batch,
                         "ours": med(a, "tokens_per_second"), "llama_cpp": med(b, "tokens_per_second"),
                         "llama_cpp_decode": med(b, "decode_tokens_per_second"),
                         "llama_bench_tg": tg128 if batch == 1 else None,
                         "load": statistics.median([r["load"] for r in a + b]), "runs": {"ours": a, "llama_cpp": b}})
    print(f"\nours: {args.threads} threads, {args.precision}; llama.cpp: {llama_threads} threads; "
          f"{PROMPT}-token prompt per sequence + {NEW} new tokens; "
          f"medians of {args.repetitions} alternating runs; tokens/s = new tokens / total time (prompt included).\n")
    print("| model | batch | lorasb t/s | llama.cpp t/s | lorasb / llama.cpp | llama.cpp decode-only t/s "
          f"| llama-bench tg{NEW} t/s | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        tg = f"{r['llama_bench_tg']:.1f}" if r["llama_bench_tg"] else ""
        print(f"| {r['file']} | {r['batch']} | {r['ours']:.1f} | {r['llama_cpp']:.1f} | {r['ours'] / r['llama_cpp']:.2f}× "
              f"| {r['llama_cpp_decode']:.1f} | {tg} | {r['load']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
