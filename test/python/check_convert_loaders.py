"""Ground truth for `checkpoint-lens convert`: load converted files with the real loaders.

Run by test/unit/convert-loaders.test.ts (skipped when torch / transformers / open_clip / timm are
absent). By hand:
  /opt/venv-convert/bin/python test/python/check_convert_loaders.py '{"original": ..., "openclip": ..., "hf_dir": ..., "timm": ..., "model_cfg": {...}}'
Prints one JSON object: per loader the missing / unexpected keys and the largest absolute
difference of its image / text embeddings from open_clip on the original file.
"""
import json
import sys
from functools import partial

import torch


def main():
    args = json.loads(sys.argv[1])
    import open_clip
    from open_clip import factory

    cfg = args["model_cfg"]
    factory._MODEL_CONFIGS["ckl-tiny"] = cfg
    torch.manual_seed(0)
    vc, tc = cfg["vision_cfg"], cfg["text_cfg"]
    pixels = torch.randn(3, 3, vc["image_size"], vc["image_size"])
    ctx, vocab = tc["context_length"], tc["vocab_size"]
    ids = torch.zeros(2, ctx, dtype=torch.long)
    # Start token, two words, end token (the largest id: open_clip and HF legacy pool at argmax).
    ids[0, :4] = torch.tensor([1, 5, 9, vocab - 1])
    ids[1, :3] = torch.tensor([1, 7, vocab - 1])
    out = {}

    def keys_report(model, sd):
        r = model.load_state_dict(sd, strict=False)
        return {"missing": list(r.missing_keys), "unexpected": list(r.unexpected_keys)}

    from safetensors.torch import load_file

    ref = open_clip.create_model("ckl-tiny", pretrained=args["original"])
    ref.eval()
    with torch.no_grad():
        ref_img = ref.encode_image(pixels)
        ref_txt = ref.encode_text(ids)

    def diff(a, b):
        return float((a - b).abs().max())

    if args.get("openclip"):
        m = open_clip.create_model("ckl-tiny", pretrained=args["openclip"])  # strict load: raises on missing / unexpected
        m.eval()
        rep = keys_report(open_clip.create_model("ckl-tiny"), load_file(args["openclip"]))
        with torch.no_grad():
            rep["image"] = diff(m.encode_image(pixels), ref_img)
            rep["text"] = diff(m.encode_text(ids), ref_txt)
        out["openclip"] = rep

    if args.get("hf_dir"):
        from transformers import CLIPModel

        m, info = CLIPModel.from_pretrained(args["hf_dir"], output_loading_info=True)
        m.eval()
        rep = {"missing": list(info["missing_keys"]), "unexpected": list(info["unexpected_keys"]), "mismatched": [list(map(str, x)) for x in info["mismatched_keys"]]}
        with torch.no_grad():
            rep["image"] = diff(m.get_image_features(pixel_values=pixels), ref_img)
            rep["text"] = diff(m.get_text_features(input_ids=ids), ref_txt)
        out["hf"] = rep

    if args.get("timm"):
        import timm  # noqa: F401
        from timm.layers import QuickGELU
        from timm.models.vision_transformer import VisionTransformer

        m = VisionTransformer(
            img_size=vc["image_size"], patch_size=vc["patch_size"], embed_dim=vc["width"], depth=vc["layers"],
            num_heads=vc["width"] // vc["head_width"], mlp_ratio=vc["mlp_ratio"], pre_norm=True, num_classes=cfg["embed_dim"],
            global_pool="token", norm_layer=partial(torch.nn.LayerNorm, eps=1e-5), act_layer=QuickGELU,
        )
        rep = keys_report(m, load_file(args["timm"]))
        m.eval()
        with torch.no_grad():
            rep["image"] = diff(m(pixels), ref_img)
        out["timm"] = rep

    print(json.dumps(out))


if __name__ == "__main__":
    main()
