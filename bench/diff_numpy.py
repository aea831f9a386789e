"""Peer for bench/diff.mjs: the same per-tensor statistics as `checkpoint-lens diff` (max abs diff
and its index, max rel diff, RMS diff, cosine, allclose mismatch count, NaN/Inf mismatches) for two
same-layout F32 safetensors files, with numpy over memory maps in 8M-element chunks (float64 maths,
like ours). Run with Debian's /usr/bin/python3 (python3-numpy). Prints one JSON line of totals."""
import json
import struct
import sys

import numpy as np

CHUNK = 8 << 20


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return 8 + n, h


def main(a_path, b_path, rtol=1e-5, atol=1e-8):
    a_start, ha = header(a_path)
    b_start, hb = header(b_path)
    ma = np.memmap(a_path, dtype=np.uint8, mode="r")
    mb = np.memmap(b_path, dtype=np.uint8, mode="r")
    results = []
    for name, ia in ha.items():
        ib = hb[name]
        assert ia["dtype"] == ib["dtype"] == "F32"
        a_all = ma[a_start + ia["data_offsets"][0] : a_start + ia["data_offsets"][1]].view(np.float32)
        b_all = mb[b_start + ib["data_offsets"][0] : b_start + ib["data_offsets"][1]].view(np.float32)
        max_abs, max_at, max_rel = 0.0, -1, 0.0
        ss = saa = sbb = dot = 0.0
        mism = nonfinite = 0
        for s in range(0, a_all.size, CHUNK):
            a = a_all[s : s + CHUNK].astype(np.float64)
            b = b_all[s : s + CHUNK].astype(np.float64)
            fin = np.isfinite(a) & np.isfinite(b)
            if not fin.all():
                same = (a == b) | (np.isnan(a) & np.isnan(b))
                bad = int((~fin & ~same).sum())
                nonfinite += bad
                mism += bad
                a, b = a[fin], b[fin]
            d = a - b
            ad = np.abs(d)
            aa = np.abs(a)
            if ad.size:
                i = int(ad.argmax())
                if ad[i] > max_abs:
                    max_abs, max_at = float(ad[i]), s + i
                nz = aa != 0
                if nz.any():
                    max_rel = max(max_rel, float((ad[nz] / aa[nz]).max()))
            ss += float(d @ d)
            saa += float(a @ a)
            sbb += float(b @ b)
            dot += float(a @ b)
            mism += int((ad > atol + rtol * aa).sum())
        n = max(1, a_all.size)
        rms = (ss / n) ** 0.5
        denom = (saa ** 0.5) * (sbb ** 0.5)
        cos = dot / denom if denom > 0 else 1.0
        results.append(dict(name=name, max_abs=max_abs, max_abs_at=max_at, max_rel=max_rel, rms=rms, cosine=cos, mismatched=mism, nonfinite=nonfinite))
    worst = max(results, key=lambda r: r["rms"])
    print(json.dumps({"tensors": len(results), "mismatched": sum(r["mismatched"] for r in results), "worst": worst["name"], "worst_max_abs": worst["max_abs"]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
