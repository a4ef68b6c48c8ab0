#!/usr/bin/env python3
"""Runs a real llama.cpp on our GGUF files and records what it computes, as the fixtures of
Tests/LoRASBTests/LlamaCppParityTests.swift (which never builds or runs llama.cpp itself).

For each model (SmolLM2-135M Q4_1, Qwen2.5-Coder-0.5B Q4_K_M) and each case:
  base     the model file alone;
  lora     the model with our adapter exported as a llama.cpp LoRA GGUF, loaded with --lora
           (`lorasb export --format gguf`);
  merged   our merged GGUF (`lorasb export --merge --format gguf`), alone;
  f32      the model file with every tensor dequantised to float32
           (scripts/llama-cpp/dequantize_gguf.py): llama.cpp then keeps its activations in fp32,
           so it should agree with our forward on the quantised file to float rounding; this
           shows the base cases' larger difference is llama.cpp's 8-bit activations alone;
it evaluates fixed prompts (tokenized by lorasb and, as a check, by llama.cpp: the ids must be
identical) with scripts/llama-cpp/logits.cpp and writes Tests/Fixtures/llamacpp/<model>-<case>.json:
the token ids, llama.cpp's top-k logits and the logits at fixed probe ids at every prompt
position, and its greedy continuation with the top-2 margin of every step. It then compares
that greedy text with `lorasb generate --temperature 0` on the same files and prints a summary.
The whole last-position logit rows go to ~/.cache/lorasb/llama.cpp/<version>/logits/, where the
Swift test also compares the full vocabulary when they are present.

    python scripts/llama_cpp_parity.py                      # every model and case
    python scripts/llama_cpp_parity.py --cases base         # only the base models

Only the standard library: this drives processes and parses JSON.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LORASB_CACHE", Path.home() / ".cache/lorasb"))
MODELS_DIR = Path(os.environ.get("LORASB_MODELS", CACHE / "models"))
FIXTURES = ROOT / "Tests/Fixtures/llamacpp"
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
LLAMA_CPP_COMMIT = "0c1e57098"

MODELS = {
    "smollm2": {"file": "SmolLM2-135M-Instruct.Q4_1.gguf", "adapter": FIXTURES / "adapters/smollm2-lora-sb"},
    "qwen2.5-0.5b": {"file": "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf", "adapter": FIXTURES / "adapters/qwen2.5-0.5b-lora"},
}

# Plain text (no chat template), so both tools add only what the model's metadata asks for.
PROMPTS = {
    "capital": "The capital of France is",
    "fib": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "gsm8k": ("Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many "
              "clips in May. How many clips did Natalia sell altogether in April and May?\nAnswer:"),
    "list": "Three fruits that are red:\n1.",
}

TOP_K = 8
GREEDY = 24
PROBES = 32          # logits recorded at 32 ids spread over the vocabulary
THREADS = 1          # deterministic, and the same numbers whatever the machine's core count
ADAPTER_TYPE = "f32"  # the adapter GGUF keeps our fp32 factors exactly
MERGED_TYPE = "f16"
NEAR_TIE = 0.25      # as LlamaCppParity.nearTie in the Swift test


def run(cmd, **kw):
    print("+ " + " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run([str(c) for c in cmd], check=True, text=True, **kw)


def llama_cpp_bin():
    out = run([ROOT / "scripts/llama-cpp.sh"], stdout=subprocess.PIPE).stdout
    return Path(out.strip().splitlines()[-1])


def tokenize(lorasb, model, text):
    out = run([lorasb, "tokenize", "--model", model, "--text", text, "--json"], stdout=subprocess.PIPE).stdout
    return json.loads(out)["ids"]


def probe_ids(vocab_size):
    step = vocab_size // PROBES
    return [i * step + 7 for i in range(PROBES)]


def sha256_prefix(path, limit=1 << 24):
    """sha256 of the file's first 16 MB: names the exact file without reading a whole model."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(limit))
    return h.hexdigest()


def export(lorasb, model, adapter, merged, out):
    cmd = [lorasb, "export", "--model", model, "--adapter", adapter, "--format", "gguf", "--output", out,
           "--type", MERGED_TYPE if merged else ADAPTER_TYPE]
    if merged:
        cmd.insert(2, "--merge")
    try:
        run(cmd)
    except subprocess.CalledProcessError:
        sys.exit(f"llama_cpp_parity: `{' '.join(map(str, cmd))}` failed: this case needs lorasb's GGUF export "
                 f"(`lorasb export --format gguf`{' --merge' if merged else ''} with --type)")
    return cmd


def dequantized(model):
    """The float32 copy of `model`, made once under the llama.cpp cache folder."""
    out = CACHE / "llama.cpp" / LLAMA_CPP_PYTHON_VERSION / "models" / (model.stem + ".F32.gguf")
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        python = run([ROOT / "scripts/reference-venv.sh"], stdout=subprocess.PIPE).stdout.strip()
        run([python, ROOT / "scripts/llama-cpp/dequantize_gguf.py", model, str(out) + ".part"])
        os.replace(str(out) + ".part", out)
    return out


def lorasb_greedy(lorasb, model, adapter, text):
    cmd = [lorasb, "generate", "--model", model, "--prompt", text, "--temperature", "0", "--max-tokens", str(GREEDY)]
    if adapter:
        cmd += ["--adapter", adapter]
    out = run(cmd, stdout=subprocess.PIPE).stdout
    return out[:-1] if out.endswith("\n") else out   # generate ends its output with one newline


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--cases", default="base,lora,merged", help="comma-separated: base, lora, merged")
    ap.add_argument("--lorasb", default=str(ROOT / ".build/release/lorasb"))
    args = ap.parse_args()
    lorasb = Path(args.lorasb)
    if not lorasb.exists():
        sys.exit(f"llama_cpp_parity: {lorasb} is missing: swift build -c release")
    bin_dir = llama_cpp_bin()
    probe = bin_dir / "lorasb-logits"
    FIXTURES.mkdir(parents=True, exist_ok=True)
    summary = []

    for name in args.models.split(","):
        spec = MODELS[name]
        model = MODELS_DIR / spec["file"]
        if not model.exists():
            sys.exit(f"llama_cpp_parity: {model} is missing (scripts/install.sh, scripts/fetch-qwen.sh)")
        prompts = [{"name": p, "text": t, "tokens": tokenize(lorasb, model, t)} for p, t in PROMPTS.items()]
        for case in args.cases.split(","):
            adapter = spec["adapter"] if case in ("lora", "merged") else None
            if adapter and not adapter.is_dir():
                sys.exit(f"llama_cpp_parity: adapter folder {adapter} is missing (scripts/llama-cpp/make_adapters.sh)")
            work = Path(tempfile.mkdtemp(prefix=f"llamacpp-{name}-{case}-"))
            full_dir = CACHE / "llama.cpp" / LLAMA_CPP_PYTHON_VERSION / "logits" / f"{name}-{case}"
            full_dir.mkdir(parents=True, exist_ok=True)
            (work / "prompts.json").write_text(json.dumps({"prompts": prompts}))

            export_cmd = None
            run_model, lora = model, None
            if case == "lora":
                lora = work / "adapter.gguf"
                export_cmd = export(lorasb, model, adapter, False, lora)
            elif case == "merged":
                run_model = work / "merged.gguf"
                export_cmd = export(lorasb, model, adapter, True, run_model)
            elif case == "f32":
                run_model = dequantized(model)

            # The vocabulary size, for the probe ids, from a first tiny run.
            cmd = [probe, "--model", run_model, "--prompts", work / "prompts.json", "--out", work / "out.json",
                   "--top-k", TOP_K, "--greedy", GREEDY, "--threads", THREADS, "--full-logits", full_dir]
            if lora:
                cmd += ["--lora", lora]
            vocab = json.loads((FIXTURES / f"{name}-base.json").read_text())["n_vocab"] if case != "base" else None
            if vocab is None:
                run(cmd + ["--greedy", 1], stdout=subprocess.DEVNULL)
                vocab = json.loads((work / "out.json").read_text())["n_vocab"]
            run(cmd + ["--probe-ids", ",".join(map(str, probe_ids(vocab)))])
            out = json.loads((work / "out.json").read_text())

            for p in out["prompts"]:
                if p["llama_cpp_tokens"] != p["tokens"]:
                    sys.exit(f"llama_cpp_parity: {name} prompt {p['name']}: lorasb tokens {p['tokens']} "
                             f"but llama.cpp tokens {p['llama_cpp_tokens']}")
                del p["llama_cpp_tokens"]
                p["text"] = PROMPTS[p["name"]]
                p["full_logits"] = str(Path(p.pop("full_logits_file")).relative_to(CACHE))

            fixture = {
                "llama_cpp": {"llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "commit": LLAMA_CPP_COMMIT,
                              "threads": out["threads"], "kv_cache": out["kv_cache"],
                              "flash_attention": out["flash_attention"]},
                "model": spec["file"], "model_sha256_first_16mb": sha256_prefix(model),
                "case": case, "llama_cpp_model": run_model.name,
                "adapter": str(adapter.relative_to(ROOT)) if adapter else None,
                "export": ([str(Path(c).name) if isinstance(c, Path) and c.is_absolute() else str(c)
                            for c in export_cmd] if export_cmd else None),
                "n_vocab": out["n_vocab"], "top_k": TOP_K, "probe_ids": out["probe_ids"],
                "prompts": out["prompts"],
            }
            path = FIXTURES / f"{name}-{case}.json"
            path.write_text(json.dumps(fixture, indent=1) + "\n")
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)

            # Greedy text against `lorasb generate` on the same files (the merged GGUF on its own).
            gen_model, gen_adapter = (run_model, None) if case in ("merged", "f32") else (model, adapter)
            for p in out["prompts"]:
                ours = lorasb_greedy(lorasb, gen_model, gen_adapter, p["text"])
                verdict = compare_greedy(p, ours)
                summary.append((name, case, p["name"], verdict, min(p["greedy_margins"]), p["greedy_text"], ours))

    print("\nmodel          case    prompt   greedy text                          smallest top-2 margin")
    for name, case, prompt, verdict, margin, theirs, ours in summary:
        print(f"{name:14} {case:7} {prompt:8} {verdict:36} {margin:.4f}")
        if verdict != "same":
            print(f"    llama.cpp: {theirs!r}\n    lorasb:    {ours!r}")
    if any(s[3].startswith("DIFFERS") for s in summary):
        sys.exit(1)


def compare_greedy(prompt, ours):
    """'same'; or where the texts part, when llama.cpp's two best logits there were closer than
    NEAR_TIE (its Q8 activation rounding alone can swap them); else 'DIFFERS ...'."""
    if ours == prompt["greedy_text"]:
        return "same"
    text = ""
    for i, piece in enumerate(prompt["greedy_pieces"]):
        text += piece
        if not ours.startswith(text):
            margin = prompt["greedy_margins"][i]
            where = f"token {i} (margin {margin:.4f})"
            return f"parts after a near-tie at {where}" if margin < NEAR_TIE else f"DIFFERS at {where}"
    return "DIFFERS after llama.cpp's text"


if __name__ == "__main__":
    main()
