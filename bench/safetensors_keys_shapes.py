"""Peer for bench/analysis.mjs: what a Python user runs to list a checkpoint's tensors without
loading them: safetensors.safe_open, then every key's dtype and shape (get_slice: no data read).
Given a sharded index (model.safetensors.index.json), every shard it names. Prints the tensor count.
Needs the `safetensors` and `numpy` packages (e.g. a venv: pip install safetensors)."""
import json
import os
import sys

from safetensors import safe_open


def main(path):
    files = [path]
    if path.endswith(".json"):
        with open(path) as f:
            weight_map = json.load(f)["weight_map"]
        files = [os.path.join(os.path.dirname(path), s) for s in sorted(set(weight_map.values()))]
    count = 0
    for file in files:
        with safe_open(file, framework="numpy") as f:
            for key in f.keys():
                s = f.get_slice(key)
                s.get_dtype()
                s.get_shape()
                count += 1
    print(count)


if __name__ == "__main__":
    main(sys.argv[1])
