#!/usr/bin/env python3
"""Reference for the tokenizer benchmark: the Rust-backed Hugging Face `tokenizers` encoding
every question and answer of GSM8K train on one thread (RAYON_NUM_THREADS=1, encode_batch).

usage: python tokenizer_bench.py GSM8K_TRAIN_JSONL GGUF_FILE MINILM_FOLDER
Prints one JSON object: {"smollm2": {...}, "minilm": {...}} with tokens, seconds per pass.
"""
import json
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "true"  # let encode_batch use its (single-thread) pool

from tokenizers import Tokenizer, pre_tokenizers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402


def texts(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            out += [row["question"], row["answer"]]
    return out


def smollm2(gguf):
    hf = AutoTokenizer.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf))
    backend = hf.backend_tokenizer
    # The GGUF names the `smollm` pre-tokenizer (digits split, then GPT-2's pattern).
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return Tokenizer.from_str(backend.to_str())


def minilm(folder):
    t = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    t.no_truncation()
    t.no_padding()
    return t


def measure(tok, inputs, passes=3):
    times, count = [], 0
    for _ in range(passes):
        t0 = time.perf_counter()
        enc = tok.encode_batch(inputs)
        times.append(time.perf_counter() - t0)
        count = sum(len(e.ids) for e in enc)
    return {"tokens": count, "seconds": times}


def main():
    data, gguf, mini = sys.argv[1:4]
    inputs = texts(data)
    result = {"inputs": len(inputs), "smollm2": measure(smollm2(gguf), inputs), "minilm": measure(minilm(mini), inputs)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
