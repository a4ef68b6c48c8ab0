"""Runs each comparison workload in fresh processes, ours (the Swift `Benchmarks` executable)
and the PyTorch reference (torch_workloads.py) alternately, several repetitions each, and prints
a markdown table of medians with the ratio ours / reference. Standard library only.

    python compare.py --benchmarks .build/release/Benchmarks --python VENV/bin/python \
        [--repetitions 3] [--json results.json] [workload ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ["step-smollm2", "step-minilm", "step-smollm2-bf16", "step-minilm-bf16", "init-smollm2",
             "init-smollm2-bf16",
             "generate-b1", "generate-b8", "lora-step-smollm2", "full-step-smollm2"]
# The initialisation takes minutes per run: fewer repetitions unless asked.
DEFAULT_REPETITIONS = {"init-smollm2": 1, "init-smollm2-bf16": 1, "full-step-smollm2": 1}


def run(command):
    started = time.time()
    out = subprocess.run(command, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["wall_seconds"] = time.time() - started
            # Every result as it arrives, so an interrupted run keeps what it measured.
            print(json.dumps(result), file=sys.stderr, flush=True)
            return result
    sys.stderr.write(f"no result from {' '.join(command)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}\n")
    return None


def median(results, key):
    values = [r[key] for r in results if r and r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--benchmarks", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--json")
    parser.add_argument("workloads", nargs="*")
    args = parser.parse_args()
    names = args.workloads or WORKLOADS
    threads = str(os.cpu_count() or 1)
    env_note = f"{threads} threads on each side"
    rows, everything = [], {}
    for name in names:
        reps = args.repetitions if args.workloads else DEFAULT_REPETITIONS.get(name, args.repetitions)
        ours, ref = [], []
        for rep in range(reps):
            ours.append(run([args.benchmarks, name]))
            ref.append(run([args.python, str(HERE / "torch_workloads.py"), name]))
            print(f"{name} {rep + 1}/{reps}: ours {ours[-1] and round(ours[-1]['seconds'], 3)} s, "
                  f"reference {ref[-1] and round(ref[-1]['seconds'], 3)} s", file=sys.stderr, flush=True)
        everything[name] = {"ours": ours, "reference": ref}
        flops = median(ours, "flops")
        o_s, r_s = median(ours, "seconds"), median(ref, "seconds")
        o_c, r_c = median(ours, "sgemm_ceiling_gflops"), median(ref, "sgemm_ceiling_gflops")
        rate_key = "samples_per_second" if name.startswith("init") else "tokens_per_second"
        rows.append({
            "workload": name, "unit": rate_key.replace("_per_second", "/s"),
            "ours": median(ours, rate_key), "reference": median(ref, rate_key),
            "ratio": r_s / o_s, "ours_s": o_s, "reference_s": r_s,
            "ours_mb": median(ours, "peak_rss_mb"), "reference_mb": median(ref, "peak_rss_mb"),
            "ours_mfu": flops / o_s / (o_c * 1e9), "reference_mfu": flops / r_s / (r_c * 1e9),
            "ours_ceiling": o_c, "reference_ceiling": r_c,
            "load": statistics.median([r["load_average"] for r in ours + ref if r]),
            "reps": reps,
        })
    print(f"\n{env_note}; medians of the repetitions; ratio = reference time / our time (> 1: we are faster).\n")
    print("| workload | reps | ours | reference | ratio | ours s | reference s | ours peak MB | reference peak MB "
          "| ours MFU | reference MFU | sgemm ceiling ours / torch GFLOP/s | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['workload']} | {r['reps']} | {r['ours']:.1f} {r['unit']} | {r['reference']:.1f} {r['unit']} "
              f"| {r['ratio']:.2f}× | {r['ours_s']:.2f} | {r['reference_s']:.2f} | {r['ours_mb']:.0f} "
              f"| {r['reference_mb']:.0f} | {100 * r['ours_mfu']:.0f}% | {100 * r['reference_mfu']:.0f}% "
              f"| {r['ours_ceiling']:.0f} / {r['reference_ceiling']:.0f} | {r['load']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "runs": everything}, indent=1))


if __name__ == "__main__":
    main()
