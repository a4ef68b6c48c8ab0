#!/usr/bin/env python3
"""Checks lorasb's exports against the reference implementations and writes the fixtures the
Swift tests (Tests/LoRASBTests/ExportParityTests.swift) read.

For SmolLM2-135M-Instruct (GGUF base, which Transformers dequantises) and all-MiniLM-L6-v2 with
an RTE classification head, it:
  1. trains a small LoRA-SB adapter with `lorasb train` (rank 4, 2 steps) unless one exists;
  2. exports it with `lorasb export --format peft` and `--merge`;
  3. dumps the logits of the adapter-loaded model with `lorasb eval --dump-logits`;
  4. loads the base with Transformers + the PEFT folder with `PeftModel.from_pretrained`, and
     the merged folder with `from_pretrained`, and reports the max abs logit differences;
  5. checks the merged SmolLM2 folder's tokenizer.json (HF `tokenizers`) gives the ids of
     Transformers' GGUF tokenizer and of `lorasb tokenize` on GSM8K test questions;
  6. writes Tests/Fixtures/export/: the adapters, the PEFT logits (a vocabulary subset for the
     decoder) and the tokenizer ids.

With --methods-only it checks the baselines instead (methods()): for rsLoRA, PiSSA and DoRA it
trains a rank-4 adapter on SmolLM2's v_proj and down_proj (`lorasb train --method M`, 2 steps),
exports it (`use_rslora`; PiSSA's conversion to a rank-2r LoRA of the original weight; `use_dora`
with `lora_magnitude_vector`), loads it with `PeftModel.from_pretrained` on the ORIGINAL base and
compares the logits with ours and with Transformers on our merged folder; it writes
Tests/Fixtures/export/methods.json, methods/<method>-adapter/ and methods/<method>_reference.safetensors.

usage: $(scripts/reference-venv.sh) scripts/verify_exports.py [--work /tmp/lorasb-export-check] [--methods-only]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("LORASB_MODELS", Path.home() / ".cache/lorasb/models"))
DATA = Path(os.environ.get("LORASB_DATA", ROOT.parent / "shared/data"))
GGUF = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM = MODELS / "all-MiniLM-L6-v2"
FIXTURES = ROOT / "Tests/Fixtures/export"
SUBSET = 256          # decoder vocabulary columns kept in the fixture
QUESTIONS = 100       # GSM8K test questions for the tokenizer check


def run(lorasb, *args):
    print("$ lorasb " + " ".join(str(a) for a in args), flush=True)
    return subprocess.run([lorasb, *map(str, args)], check=True, capture_output=True, text=True).stdout


def masked_max_diff(a, b, mask):
    d = np.abs(a - b)
    if d.ndim == 3:
        d = d * mask[..., None]
    return float(d.max())


def save_decoder_fixture(adapter, folder, reference, ours, peft_logits, subset):
    """Copies the adapter to `folder` and writes `reference`: our inputs and PEFT's logits on the
    vocabulary columns `subset`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("adapter.safetensors", "adapter_config.json"):
        shutil.copy(adapter / name, folder / name)
    save_file({
        "input_ids": ours["input_ids"], "attention_mask": ours["attention_mask"],
        "vocab_subset": subset.astype(np.float32),
        "peft_logits": np.ascontiguousarray(peft_logits[:, :, subset]).astype(np.float32),
    }, str(reference))


def smollm2(lorasb, work, report):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from tokenizers import Tokenizer

    adapter = work / "smollm2-adapter"
    if not (adapter / "adapter.safetensors").exists():
        run(lorasb, "train", "--model", GGUF, "--data", DATA / "gsm8k", "--prompt-field", "question",
            "--completion-field", "answer", "--train-examples", 16, "--val-examples", 4, "--iters", 2,
            "--batch-size", 4, "--rank", 4, "--targets", "v", "--init-samples", 8, "--learning-rate", 1e-2,
            "--no-base-eval", "--max-seq-len", 256, "--save-every", 0, "--adapter-path", adapter)
    peft_dir, merged = work / "smollm2-peft", work / "smollm2-merged"
    run(lorasb, "export", "--model", GGUF, "--adapter", adapter, "--output", peft_dir, "--format", "peft")
    run(lorasb, "export", "--model", GGUF, "--adapter", adapter, "--output", merged, "--merge")
    dump = work / "smollm2-logits.safetensors"
    run(lorasb, "eval", "--model", GGUF, "--adapter", adapter, "--data", DATA / "gsm8k", "--prompt-field",
        "question", "--completion-field", "answer", "--metric", "loss", "--limit", 2, "--dump-logits", dump)
    ours = load_file(dump)
    ids = torch.tensor(ours["input_ids"].astype(np.int64))
    mask = ours["attention_mask"]
    torch.set_num_threads(2)
    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(str(MODELS), gguf_file=GGUF.name, torch_dtype=torch.float32)
        peft = PeftModel.from_pretrained(base, str(peft_dir)).eval()
        peft_logits = peft(input_ids=ids, attention_mask=torch.tensor(mask.astype(np.int64))).logits.numpy()
        hf_merged = AutoModelForCausalLM.from_pretrained(str(merged), torch_dtype=torch.float32).eval()
        merged_logits = hf_merged(input_ids=ids, attention_mask=torch.tensor(mask.astype(np.int64))).logits.numpy()
    report["smollm2"] = {
        "ours_vs_peft_max_abs": masked_max_diff(ours["logits"], peft_logits, mask),
        "ours_vs_transformers_merged_max_abs": masked_max_diff(ours["logits"], merged_logits, mask),
        "peft_vs_transformers_merged_max_abs": masked_max_diff(peft_logits, merged_logits, mask),
        "logit_scale_max_abs": float(np.abs(peft_logits).max()),
    }

    # Tokenizer: merged tokenizer.json vs Transformers' GGUF tokenizer vs lorasb's GGUF tokenizer.
    questions = [json.loads(l)["question"] for l in open(DATA / "gsm8k/test.jsonl")][:QUESTIONS]
    exported = Tokenizer.from_file(str(merged / "tokenizer.json"))
    gguf_tok = AutoTokenizer.from_pretrained(str(MODELS), gguf_file=GGUF.name)
    hf_ids = [exported.encode(q).ids for q in questions]
    gguf_ids = [gguf_tok(q)["input_ids"] for q in questions]
    qfile = work / "questions.txt"
    ours_ids = []
    for q in questions[:20]:
        qfile.write_text(q)
        ours_ids.append(json.loads(run(lorasb, "tokenize", "--model", GGUF, "--file", qfile, "--json"))["ids"])
    chat = [{"role": "user", "content": questions[0]}]
    report["smollm2"]["tokenizer"] = {
        "questions": len(questions),
        "exported_equals_transformers_gguf": sum(a == b for a, b in zip(hf_ids, gguf_ids)),
        # Transformers' own GGUF converter splits "and  2" as "Ġ","Ġ","2" where the Digits +
        # ByteLevel pre-tokenizer of SmolLM2's tokenizer.json (and llama.cpp's smollm) give "ĠĠ","2".
        "differs_from_transformers_gguf": [i for i, (a, b) in enumerate(zip(hf_ids, gguf_ids)) if a != b],
        "exported_equals_lorasb_first_20": sum(a == b for a, b in zip(hf_ids, ours_ids)),
        "chat_template_renders": AutoTokenizer.from_pretrained(str(merged)).apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True) == gguf_tok.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True),
    }

    # Fixture: the adapter, inputs, a vocabulary subset of PEFT's logits, the tokenizer ids.
    rng = np.random.default_rng(0)
    top = np.argsort(-peft_logits[0, int(mask[0].sum()) - 1])[:32]
    subset = np.unique(np.concatenate([top, rng.choice(peft_logits.shape[-1], SUBSET, replace=False)]))[:SUBSET]
    subset.sort()
    save_decoder_fixture(adapter, FIXTURES / "smollm2-adapter", FIXTURES / "smollm2_reference.safetensors",
                         ours, peft_logits, subset)
    return {"questions": questions, "ids": hf_ids}


def minilm(lorasb, work, report):
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, BertForSequenceClassification

    adapter = work / "minilm-adapter"
    if not (adapter / "adapter.safetensors").exists():
        run(lorasb, "train", "--model", MINILM, "--data", DATA / "glue/RTE", "--train-examples", 32,
            "--val-examples", 16, "--iters", 2, "--batch-size", 8, "--rank", 4, "--targets", "query,value",
            "--learning-rate", 1e-2, "--no-base-eval", "--save-every", 0, "--adapter-path", adapter)
    peft_dir, merged = work / "minilm-peft", work / "minilm-merged"
    run(lorasb, "export", "--model", MINILM, "--adapter", adapter, "--output", peft_dir, "--format", "peft")
    run(lorasb, "export", "--model", MINILM, "--adapter", adapter, "--output", merged, "--merge")
    dump = work / "minilm-logits.safetensors"
    run(lorasb, "eval", "--model", MINILM, "--adapter", adapter, "--data", DATA / "glue/RTE", "--limit", 8,
        "--dump-logits", dump)
    ours = load_file(dump)
    inputs = {k: torch.tensor(ours[k].astype(np.int64)) for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        base = BertForSequenceClassification.from_pretrained(str(MINILM), num_labels=2)
        peft = PeftModel.from_pretrained(base, str(peft_dir)).eval()
        peft_logits = peft(**inputs).logits.numpy()
        hf_merged = AutoModelForSequenceClassification.from_pretrained(str(merged)).eval()
        merged_logits = hf_merged(**inputs).logits.numpy()
    report["minilm"] = {
        "ours_vs_peft_max_abs": float(np.abs(ours["logits"] - peft_logits).max()),
        "ours_vs_transformers_merged_max_abs": float(np.abs(ours["logits"] - merged_logits).max()),
        "peft_vs_transformers_merged_max_abs": float(np.abs(peft_logits - merged_logits).max()),
        "merged_id2label": hf_merged.config.id2label,
    }
    out = FIXTURES / "minilm-adapter"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("adapter.safetensors", "adapter_config.json"):
        shutil.copy(adapter / name, out / name)
    save_file({**{k: ours[k] for k in ("input_ids", "attention_mask", "token_type_ids")},
               "peft_logits": peft_logits.astype(np.float32)},
              str(FIXTURES / "minilm_reference.safetensors"))


def dump_logits(lorasb, work, method, adapter):
    """Our logits on two GSM8K problems with `adapter` on SmolLM2: the dump, its ids, mask and
    the mask as a torch tensor."""
    dump = work / f"smollm2-{method}-logits.safetensors"
    run(lorasb, "eval", "--model", GGUF, "--adapter", adapter, "--data", DATA / "gsm8k", "--prompt-field",
        "question", "--completion-field", "answer", "--metric", "loss", "--limit", 2, "--dump-logits", dump)
    ours = load_file(dump)
    mask = ours["attention_mask"]
    return ours, torch.tensor(ours["input_ids"].astype(np.int64)), mask, torch.tensor(mask.astype(np.int64))


METHODS = ("rslora", "pissa", "dora")


def methods(lorasb, work, report):
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    out = FIXTURES / "methods"
    out.mkdir(parents=True, exist_ok=True)
    for method in METHODS:
        adapter = work / f"smollm2-{method}-adapter"
        if not (adapter / "adapter.safetensors").exists():
            run(lorasb, "train", "--model", GGUF, "--data", DATA / "gsm8k", "--prompt-field", "question",
                "--completion-field", "answer", "--train-examples", 16, "--val-examples", 4, "--iters", 2,
                "--batch-size", 4, "--method", method, "--rank", 4, "--alpha", 8, "--targets", "v,down",
                "--learning-rate", 1e-2, "--no-base-eval", "--max-seq-len", 256, "--save-every", 0,
                "--adapter-path", adapter)
        peft_dir, merged = work / f"smollm2-{method}-peft", work / f"smollm2-{method}-merged"
        run(lorasb, "export", "--model", GGUF, "--adapter", adapter, "--output", peft_dir, "--format", "peft")
        run(lorasb, "export", "--model", GGUF, "--adapter", adapter, "--output", merged, "--merge")
        ours, ids, mask, attention = dump_logits(lorasb, work, method, adapter)
        config = PeftConfig.from_pretrained(str(peft_dir))
        with torch.no_grad():
            base = AutoModelForCausalLM.from_pretrained(str(MODELS), gguf_file=GGUF.name, torch_dtype=torch.float32)
            base_logits = base(input_ids=ids, attention_mask=attention).logits.numpy()
            peft = PeftModel.from_pretrained(base, str(peft_dir)).eval()
            peft_logits = peft(input_ids=ids, attention_mask=attention).logits.numpy()
            del peft, base
            hf_merged = AutoModelForCausalLM.from_pretrained(str(merged), torch_dtype=torch.float32).eval()
            merged_logits = hf_merged(input_ids=ids, attention_mask=attention).logits.numpy()
            del hf_merged
        report[method] = {
            "peft_config": {"r": config.r, "lora_alpha": config.lora_alpha, "use_rslora": config.use_rslora,
                            "use_dora": config.use_dora, "init_lora_weights": config.init_lora_weights},
            "ours_vs_peft_max_abs": masked_max_diff(ours["logits"], peft_logits, mask),
            "ours_vs_transformers_merged_max_abs": masked_max_diff(ours["logits"], merged_logits, mask),
            "peft_vs_transformers_merged_max_abs": masked_max_diff(peft_logits, merged_logits, mask),
            "adapter_effect_max_abs": masked_max_diff(peft_logits, base_logits, mask),
            "logit_scale_max_abs": float(np.abs(peft_logits).max()),
        }
        print(method, json.dumps(report[method]), flush=True)
        rng = np.random.default_rng(0)
        subset = np.unique(rng.choice(peft_logits.shape[-1], SUBSET, replace=False))
        save_decoder_fixture(adapter, out / f"{method}-adapter", out / f"{method}_reference.safetensors",
                             ours, peft_logits, subset)
    with open(FIXTURES / "methods.json", "w") as f:
        json.dump({"report": report}, f, indent=1)
    return all(r["ours_vs_peft_max_abs"] <= 1e-3 and r["ours_vs_transformers_merged_max_abs"] <= 1e-3
               and r["adapter_effect_max_abs"] > 1e-2 for r in report.values())


def gradient_methods(lorasb, work, report):
    """LoRA-GA (a rank-2r PEFT LoRA on the unchanged base) and LoRA-Pro (plain LoRA) on
    SmolLM2: trained 2 steps, exported, loaded by PEFT; logits against ours. No fixtures."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    base = AutoModelForCausalLM.from_pretrained(str(MODELS), gguf_file=GGUF.name, torch_dtype=torch.float32)
    for method in ("lora-ga", "lora-pro"):
        adapter, peft_dir = work / f"smollm2-{method}", work / f"smollm2-{method}-peft"
        if not (adapter / "adapter.safetensors").exists():
            run(lorasb, "train", "--model", GGUF, "--method", method, "--data", DATA / "gsm8k", "--prompt-field",
                "question", "--completion-field", "answer", "--train-examples", 16, "--val-examples", 4,
                "--iters", 2, "--batch-size", 4, "--rank", 4, "--alpha", 8, "--targets", "v", "--init-samples", 8,
                "--learning-rate", 1e-2, "--no-base-eval", "--max-seq-len", 256, "--save-every", 0,
                "--adapter-path", adapter)
        run(lorasb, "export", "--model", GGUF, "--adapter", adapter, "--output", peft_dir, "--format", "peft")
        ours, ids, mask, attention = dump_logits(lorasb, work, method, adapter)
        with torch.no_grad():
            base_logits = base(input_ids=ids, attention_mask=attention).logits.numpy()
            peft = PeftModel.from_pretrained(base, str(peft_dir)).eval()
            peft_logits = peft(input_ids=ids, attention_mask=attention).logits.numpy()
            base = peft.unload()
        report[method] = {
            "peft_r": json.load(open(peft_dir / "adapter_config.json"))["r"],
            "ours_vs_peft_max_abs": masked_max_diff(ours["logits"], peft_logits, mask),
            # The adapter moved the model: the comparison is not of two base models.
            "peft_vs_base_max_abs": masked_max_diff(peft_logits, base_logits, mask),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/lorasb-export-check", type=Path)
    parser.add_argument("--lorasb", default=str(ROOT / ".build/release/lorasb"))
    parser.add_argument("--methods-only", action="store_true",
                        help="check only the rsLoRA, PiSSA and DoRA exports (Tests/Fixtures/export/methods.json)")
    parser.add_argument("--gradient-methods", action="store_true",
                        help="only check the PEFT exports of LoRA-GA and LoRA-Pro (no fixtures written)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    report = {}
    if args.methods_only:
        ok = methods(args.lorasb, args.work, report)
        print(json.dumps(report, indent=2))
        sys.exit(0 if ok else 1)
    if args.gradient_methods:
        gradient_methods(args.lorasb, args.work, report)
        print(json.dumps(report, indent=2))
        ok = all(r["ours_vs_peft_max_abs"] <= 1e-3 and r["peft_vs_base_max_abs"] > 1e-3 for r in report.values())
        sys.exit(0 if ok else 1)
    tokens = smollm2(args.lorasb, args.work, report)
    minilm(args.lorasb, args.work, report)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with open(FIXTURES / "export.json", "w") as f:
        json.dump({"report": report, "gsm8k_questions": tokens["questions"], "gsm8k_ids": tokens["ids"]},
                  f, separators=(",", ":"))
    print(json.dumps(report, indent=2))
    ok = (report["smollm2"]["ours_vs_peft_max_abs"] <= 1e-3 and report["minilm"]["ours_vs_peft_max_abs"] <= 1e-3
          and report["smollm2"]["tokenizer"]["exported_equals_lorasb_first_20"] == 20)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
