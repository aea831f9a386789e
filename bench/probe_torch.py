#!/usr/bin/python3
"""bench/probe peer: the same CLIP forward pass in PyTorch (Debian python3-torch, CPU, fp32).

Reads the OpenAI-layout .safetensors with numpy (header parsed by hand; the `safetensors` package
is not a Debian package), materialises fp32 torch tensors (the "create" step: what
load_state_dict + .float() costs), then runs the inputs that our run dumped (pixel_values,
input_ids) with 1 image + 8 prompts and 8 images + 8 prompts per call, like bench/probe-run.ts.
Prints one JSON line, including the max abs difference of its embeddings to ours.

Debian's torch 1.13 is built with BLAS_INFO=generic: F.linear / matmul go to the reference
netlib BLAS (~6x slower than MKL-DNN here). To give the peer its best CPU path, matrix products
run through MKL-DNN (oneDNN, which this build has): Linear weights are converted to MKL-DNN
tensors at load (counted in "create") and attention products use mkldnn_linear per head.
Pass --generic to time the plain F.linear / @ path instead.
Usage: /usr/bin/python3 bench/probe_torch.py CHECKPOINT DUMP [REPS] [--generic]
"""
import json, math, resource, struct, sys, time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    start = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = mm[start + b : start + e]
        dt = info["dtype"]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt == "I64":
            a = np.frombuffer(raw, dtype="<i8")
        else:
            raise SystemExit(f"unsupported dtype {dt}")
        out[name] = torch.from_numpy(np.array(a).reshape(info["shape"]))
    return out


GENERIC = "--generic" in sys.argv
MK = {}  # name -> MKL-DNN copy of a Linear weight / bias


def linear(x, W, name):
    if GENERIC:
        return F.linear(x, W[name + "weight"] if name.endswith(".") else W[name + "_weight"], W[name + "bias"] if name.endswith(".") else W[name + "_bias"])
    w, b = MK[name]
    shape = x.shape
    y = torch._C._nn.mkldnn_linear(x.reshape(-1, shape[-1]).contiguous().to_mkldnn(), w, b).to_dense()
    return y.reshape(*shape[:-1], y.shape[-1])


def bmm_nt(a, b):
    """a @ b^T over the leading dims, as MKL-DNN linear calls (x @ W^T = linear(x, W))."""
    if GENERIC:
        return a @ b.transpose(-1, -2)
    lead = a.shape[:-2]
    a2 = a.reshape(-1, *a.shape[-2:])
    b2 = b.reshape(-1, *b.shape[-2:])
    out = [torch._C._nn.mkldnn_linear(a2[i].contiguous().to_mkldnn(), b2[i].contiguous().to_mkldnn()).to_dense() for i in range(a2.shape[0])]
    return torch.stack(out).reshape(*lead, a.shape[-2], b.shape[-2])


def block(x, W, p, heads, mask):
    B, T, D = x.shape
    hd = D // heads
    h = F.layer_norm(x, (D,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], 1e-5)
    qkv = linear(h, W, p + "attn.in_proj")
    q, k, v = qkv.chunk(3, dim=-1)
    q, k, v = (t.reshape(B, T, heads, hd).transpose(1, 2) for t in (q, k, v))
    s = bmm_nt(q / math.sqrt(hd), k)
    if mask is not None:
        s = s + mask
    o = bmm_nt(s.softmax(-1), v.transpose(-1, -2)).transpose(1, 2).reshape(B, T, D)
    x = x + linear(o, W, p + "attn.out_proj.")
    h = F.layer_norm(x, (D,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], 1e-5)
    f = linear(h, W, p + "mlp.c_fc.")
    f = f * torch.sigmoid(1.702 * f)  # QuickGELU (OpenAI weights)
    return x + linear(f, W, p + "mlp.c_proj.")


def layers(W, prefix):
    return len({k[len(prefix):].split(".")[0] for k in W if k.startswith(prefix)})


def forward(W, pixels, ids):
    D = W["visual.conv1.weight"].shape[0]
    P = W["visual.conv1.weight"].shape[-1]
    x = F.conv2d(pixels, W["visual.conv1.weight"], stride=P).flatten(2).transpose(1, 2)
    cls = W["visual.class_embedding"].reshape(1, 1, D).expand(x.shape[0], 1, D)
    x = torch.cat([cls, x], 1) + W["visual.positional_embedding"]
    x = F.layer_norm(x, (D,), W["visual.ln_pre.weight"], W["visual.ln_pre.bias"], 1e-5)
    for i in range(layers(W, "visual.transformer.resblocks.")):
        x = block(x, W, f"visual.transformer.resblocks.{i}.", D // 64, None)
    img = F.layer_norm(x[:, 0], (D,), W["visual.ln_post.weight"], W["visual.ln_post.bias"], 1e-5) @ W["visual.proj"]
    Dt = W["ln_final.weight"].shape[0]
    L = ids.shape[1]
    t = W["token_embedding.weight"][ids] + W["positional_embedding"][:L]
    mask = torch.full((L, L), float("-inf")).triu(1)
    for i in range(layers(W, "transformer.resblocks.")):
        t = block(t, W, f"transformer.resblocks.{i}.", Dt // 64, mask)
    t = F.layer_norm(t, (Dt,), W["ln_final.weight"], W["ln_final.bias"], 1e-5)
    txt = t[torch.arange(t.shape[0]), ids.argmax(-1)] @ W["text_projection"]
    img = img / img.norm(dim=1, keepdim=True)
    txt = txt / txt.norm(dim=1, keepdim=True)
    return img, txt, W["logit_scale"].exp() * img @ txt.t()


def main():
    ckpt, dump = sys.argv[1], sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 5
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    W = read_safetensors(ckpt)
    if not GENERIC:
        for k in list(W):
            if k.endswith("attn.in_proj_weight"):
                p = k[: -len("_weight")]
                MK[p] = (W[k].contiguous().to_mkldnn(), W[p + "_bias"].contiguous().to_mkldnn())
            elif k.endswith((".out_proj.weight", ".c_fc.weight", ".c_proj.weight")):
                p = k[: -len("weight")]
                MK[p] = (W[k].contiguous().to_mkldnn(), W[p + "bias"].contiguous().to_mkldnn())
    create_ms = (time.perf_counter() - t0) * 1e3
    d = read_safetensors(dump)
    pixels, ids = d["pixel_values"], d["input_ids"]
    with torch.no_grad():
        t = time.perf_counter()
        forward(W, pixels[:1], ids)
        first = (time.perf_counter() - t) * 1e3
        single = []
        for _ in range(reps):
            t = time.perf_counter()
            forward(W, pixels[:1], ids)
            single.append((time.perf_counter() - t) * 1e3)
        img, txt, logits = forward(W, pixels, ids)
        batch = []
        for _ in range(2):
            t = time.perf_counter()
            img, txt, logits = forward(W, pixels, ids)
            batch.append((time.perf_counter() - t) * 1e3)
    diff = {
        "image_embeds": float((img - d["image_embeds"]).abs().max()),
        "text_embeds": float((txt - d["text_embeds"]).abs().max()),
        "logits_per_image": float((logits - d["logits_per_image"]).abs().max()),
    }
    print(json.dumps({
        "createMs": create_ms,
        "firstRunMs": first,
        "singleMs": single,
        "batch8Ms": batch,
        "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "maxAbsDiffToOurs": diff,
        "torch": torch.__version__ + (" generic BLAS" if GENERIC else " MKL-DNN matmuls"),
    }))


main()
