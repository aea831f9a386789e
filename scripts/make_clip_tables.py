"""Writes src/layouts/spec/clipTables.data.ts: the CLIP family's configs as OUR table of facts.

- open_clip: every model config shipped with open_clip_torch (widths, layers, head widths, patch
  and image size, trunk / text-tower types and the options that change the state dict);
- timm trunks: for every timm model an open_clip config uses as its image tower, and for timm's
  CLIP-family towers, the facts our trunk templates need, read from the model objects that timm
  builds (no weights: parameters on the meta device).

Run: /opt/venv-layouts/bin/python scripts/make_clip_tables.py   (venv: see test/fixtures/layouts/make_layouts.py)
The output is data in our format (not copies of their files); tests compare the layouts our specs
generate from it against the recorded real layouts (test/fixtures/layouts/*.json.gz).
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'fixtures', 'layouts'))
import make_layouts as ML  # noqa: E402

ML.meta_on()
import open_clip  # noqa: E402
import timm  # noqa: E402
import torch.nn as nn  # noqa: E402

OUT = os.path.join(HERE, '..', 'src', 'layouts', 'spec', 'clipTables.data.ts')


def clean(d):
    return {k: v for k, v in d.items() if v is not None and v is not False and v != {} and v != []}


def openclip_facts(name, c):
    v = c.get('vision_cfg', {})
    t = c.get('text_cfg', {})
    mm = c.get('multimodal_cfg')
    out = {'embed': c['embed_dim']}
    if c.get('quick_gelu'):
        out['quickGelu'] = True
    if c.get('init_logit_bias') is not None:
        out['logitBias'] = True
    img = v.get('image_size', 224)
    if v.get('timm_model_name'):
        out['vision'] = clean({'kind': 'timm', 'trunk': v['timm_model_name'], 'image': img, 'pool': v.get('timm_pool', 'avg'), 'proj': v.get('timm_proj', 'linear') or '', 'projBias': v.get('timm_proj_bias', False), 'kwargs': v.get('timm_model_kwargs') or None})
        if out['vision'].get('pool') is None:
            out['vision']['pool'] = ''
    elif isinstance(v.get('layers'), list):
        out['vision'] = clean({'kind': 'resnet', 'width': v.get('width', 64), 'layers': v['layers'], 'headWidth': v.get('head_width', 64), 'image': img})
    else:
        out['vision'] = clean({
            'kind': 'vit', 'width': v.get('width', 768), 'layers': v.get('layers', 12), 'headWidth': v.get('head_width', 64),
            'mlpRatio': v.get('mlp_ratio', 4.0), 'patch': v.get('patch_size', 16), 'image': img,
            'lsInit': v.get('ls_init_value') is not None, 'noLnPre': v.get('no_ln_pre', False),
            'attnPool': v.get('attentional_pool', False), 'poolQueries': v.get('attn_pooler_queries', 256) if v.get('attentional_pool') else None,
            'finalLnAfterPool': v.get('final_ln_after_pool', False), 'poolType': v.get('pool_type') if v.get('pool_type', 'tok') != 'tok' else None,
        })
    if t.get('text_arch') == 'modern':
        # open_clip's ModernTextTransformer (RoPE, no learned positions): defaults of CLIPTextCfg for the modern arch
        w = t.get('width', 512)
        out['text'] = clean({
            'kind': 'modern', 'width': w, 'heads': t.get('heads', 8), 'layers': t.get('layers', 12), 'hidden': int(w * t.get('mlp_ratio', 4.0)),
            'vocab': t.get('vocab_size', 49408), 'mlpType': t.get('mlp_type', 'swiglu'), 'norm': t.get('norm_type') or 'rmsnorm',
            'qkNorm': t.get('qk_norm', False), 'gated': t.get('attn_gated', False), 'pool': 'eos' if t.get('pool_type', 'argmax') == 'argmax' else t.get('pool_type'),
            'attnBias': bool(t.get('attention_bias')), 'gateBias': bool(t.get('attention_bias')) if t.get('gate_bias') is None else bool(t.get('gate_bias')),
            'mlpBias': bool(t.get('mlp_bias')), 'projBias': t.get('proj_bias', False), 'projNone': t.get('proj_type', 'linear') == 'none',
            'reg': t.get('reg_tokens', 0) or 0, 'preNorm': t.get('pre_norm', False), 'sandwich': t.get('norm_placement', 'pre') == 'sandwich',
            'lsInit': t.get('ls_init_value') is not None, 'valueResidual': t.get('value_residual', False),
        })
        out['customText'] = True
    elif t.get('hf_model_name'):
        out['text'] = clean({'kind': 'hf', 'model': t['hf_model_name'], 'projType': t.get('hf_proj_type', 'mlp'), 'pooler': t.get('hf_pooler_type', 'mean_pooler'), 'context': t.get('context_length', 77), 'vocab': t.get('vocab_size')})
    else:
        out['text'] = clean({
            'kind': 'native', 'width': t.get('width', 512), 'heads': t.get('heads', 8), 'layers': t.get('layers', 12), 'mlpRatio': t.get('mlp_ratio', 4.0),
            'context': t.get('context_length', 77), 'vocab': t.get('vocab_size', 49408), 'embedCls': t.get('embed_cls', False),
            'projBias': t.get('proj_bias', False), 'projNone': t.get('proj_type', 'linear') == 'none', 'lsInit': t.get('ls_init_value') is not None,
            'noCausalMask': t.get('no_causal_mask', False), 'pool': t.get('pool_type') if t.get('pool_type', 'argmax') != 'argmax' else None,
        })
    custom = bool(c.get('custom_text')) or out['text']['kind'] == 'hf'
    if mm is not None:
        custom = True
        out['coca'] = clean({'width': mm.get('width', 512), 'layers': mm.get('layers', 12), 'heads': mm.get('heads', 8), 'mlpRatio': mm.get('mlp_ratio', 4.0), 'context': mm.get('context_length', 76), 'vocab': mm.get('vocab_size', 49408), 'poolQueries': mm.get('n_queries', 256)})
    if custom:
        out['customText'] = True
    return out


def is_id(m):
    return m is None or isinstance(m, nn.Identity)


def head_fc(f, lin):
    # The classifier / projection a timm model by name carries (num_classes of its pretrained tag).
    f['head'] = lin.out_features if isinstance(lin, nn.Linear) else 0
    f['headBias'] = isinstance(lin, nn.Linear) and lin.bias is not None


def convnext_facts(m, f):
    st = list(m.stages)
    b0 = [s.blocks[0] for s in st]
    if any(type(b.mlp).__name__ != 'Mlp' or not isinstance(b.mlp.fc1, nn.Linear) for b in b0) or len(m.stem) != 2:
        return False
    f.update({
        'template': 'convnext', 'dims': [b.conv_dw.in_channels for b in b0], 'depths': [len(s.blocks) for s in st],
        'stemK': m.stem[0].kernel_size[0], 'dwK': b0[0].conv_dw.kernel_size[0], 'hidden': [b.mlp.fc1.out_features for b in b0],
        'ls': b0[0].gamma is not None, 'dsK': st[1].downsample[1].kernel_size[0], 'normPre': not is_id(m.norm_pre),
        'headNorm': not is_id(getattr(m.head, 'norm', None)),
        'headHidden': m.head.pre_logits.fc.out_features if hasattr(m.head.pre_logits, 'fc') else 0,
    })
    head_fc(f, m.head.fc)
    return True


def swin_facts(m, f):
    pe = m.patch_embed
    ls = list(m.layers)
    b0 = [l.blocks[0] for l in ls]
    f.update({
        'template': 'swin', 'patch': pe.proj.kernel_size[0], 'patchNorm': not is_id(pe.norm), 'dims': [l.blocks[0].dim for l in ls], 'depths': [len(l.blocks) for l in ls],
        'heads': [b.attn.num_heads for b in b0], 'window': [b.attn.window_size[0] for b in b0], 'hidden': [b.mlp.fc1.out_features for b in b0],
        'qkvBias': b0[0].attn.qkv.bias is not None, 'norm': not is_id(getattr(m, 'norm', None)),
    })
    head_fc(f, getattr(m.head, 'fc', None))
    return True


def byobnet_facts(m, f):
    # timm's ResNet-CLIP (ByobNet with a 3-conv stem, bottleneck stages and an attention-pool head).
    stem = [getattr(m.stem, f'conv{i}') for i in (1, 2, 3)]
    st = list(m.stages)
    b0 = [s[0] for s in st]
    f.update({
        'template': 'byob', 'stem': [c.conv.out_channels for c in stem], 'dims': [b.conv3_1x1.conv.out_channels for b in b0],
        'mid': [b.conv1_1x1.conv.out_channels for b in b0], 'depths': [len(s) for s in st],
    })
    h = m.head
    if type(h).__name__ == 'AttentionPool2d':
        f['attnPool'] = {'tokens': h.pos_embed.shape[0], 'out': h.proj.out_features}
        f['head'] = 0
    else:
        head_fc(f, getattr(h, 'fc', None))
    return True


def mobileone(b):
    # timm MobileOneBlock: conv branches (k×k, out × in/groups), a 1×1 scale branch, an identity BatchNorm, squeeze-excite
    convs = list(b.conv_kxk) if getattr(b, 'conv_kxk', None) is not None else []
    if len(convs) > 1:
        raise ValueError('more than one conv branch')
    ref = convs[0].conv if convs else None
    ident = getattr(b, 'identity', None)
    out = ref.out_channels if ref is not None else ident.num_features
    scale = getattr(b, 'conv_scale', None)
    return {
        'out': out, 'gin': ref.in_channels // ref.groups if ref is not None else 0, 'k': ref.kernel_size[0] if ref is not None else 0,
        'conv': 1 if ref is not None else 0, 'scale': 1 if scale is not None else 0, 'scaleGin': scale.conv.in_channels // scale.conv.groups if scale is not None else 0,
        'ident': 1 if ident is not None else 0, 'se': b.se.fc1.out_channels if not is_id(b.se) else 0,
    }


def fastvit_facts(m, f):
    # timm FastViT (MobileCLIP MCi): MobileOne stem, stages of (reparam large-kernel downsample, conv pos-emb)
    # RepMixer or attention blocks with a ConvMlp, MobileOne final conv.
    stem = [mobileone(b) for b in m.stem]
    st = list(m.stages)
    fv = {'dims': [], 'depths': [], 'ds': [], 'dsSe': [], 'pos': [], 'attn': [], 'ln': [], 'hidden': []}
    for s in st:
        b = s.blocks[0]
        attn = type(b).__name__ == 'AttentionBlock'
        fv['dims'].append(b.mlp.fc2.out_channels)
        fv['depths'].append(len(s.blocks))
        ds = not is_id(s.downsample)
        fv['ds'].append(1 if ds else 0)
        fv['dsSe'].append(s.downsample.proj[0].se.fc1.out_channels if ds and not is_id(s.downsample.proj[0].se) else 0)
        fv['pos'].append(1 if not is_id(s.pos_emb) else 0)
        fv['attn'].append(1 if attn else 0)
        fv['ln'].append(1 if attn and isinstance(b.norm, nn.LayerNorm) or (attn and 'LayerNorm' in type(b.norm).__name__) else 0)
        fv['hidden'].append(b.mlp.fc1.out_channels)
    b0 = st[0].blocks[0]
    dss = [s.downsample for s in st if not is_id(s.downsample)]
    pos = [s.pos_emb for s in st if not is_id(s.pos_emb)]
    fv.update({
        'mlpK': b0.mlp.conv.conv.kernel_size[0], 'mixK': b0.token_mixer.mixer.conv_kxk[0].conv.kernel_size[0],
        'largeK': dss[0].proj[0].large_conv.conv.kernel_size[0] if dss else 0, 'smallK': dss[0].proj[0].small_conv.conv.kernel_size[0] if dss else 0,
        'posK': pos[0].pos_enc.kernel_size[0] if pos else 0,
    })
    for k in ('out', 'gin', 'k', 'conv', 'scale', 'scaleGin', 'ident', 'se'):
        fv['stem' + k[0].upper() + k[1:]] = [x[k] for x in stem]
    fin = mobileone(m.final_conv)
    for k, v in fin.items():
        fv['fin' + k[0].upper() + k[1:]] = v
    f.update({'template': 'fastvit', 'fv': fv})
    head_fc(f, getattr(m.head, 'fc', None))
    return True


def trunk_facts(name, model=None, **kw):
    m = model if model is not None else timm.create_model(name, pretrained=False, **kw)
    cls = type(m).__name__
    f = {'class': cls, 'features': m.num_features}
    if cls in ('ConvNeXt', 'SwinTransformer', 'ByobNet', 'FastVit'):
        if not {'ConvNeXt': convnext_facts, 'SwinTransformer': swin_facts, 'ByobNet': byobnet_facts, 'FastVit': fastvit_facts}[cls](m, f):
            f['template'] = 'opaque'
        return f
    if cls == 'NaFlexVit':
        return naflex_facts(m, f)
    pe = getattr(m, 'patch_embed', None)
    std_patch = pe is not None and type(pe).__name__ == 'PatchEmbed' and isinstance(getattr(pe, 'proj', None), nn.Conv2d) and is_id(getattr(pe, 'norm', None))
    hybrid = pe is not None and type(pe).__name__ == 'HybridEmbed' and is_id(getattr(pe, 'proj', None)) and type(pe.backbone).__name__ in ('ConvStem', 'MbConvStages')
    if cls not in ('VisionTransformer', 'Eva', 'VisionTransformerRelPos') or not (std_patch or hybrid):
        f['template'] = 'opaque'
        return f
    if hybrid and type(pe.backbone).__name__ == 'ConvStem':
        # MobileCLIP's ViT: a stack of strided convolutions (BatchNorm, the last one with a bias)
        convs = list(pe.backbone)
        f['pe'] = 'convstem'
        f['stemOut'] = [c.conv.out_channels for c in convs]
        f['stemK'] = [c.conv.kernel_size[0] for c in convs]
        f['stemBn'] = [0 if isinstance(c.bn, nn.Sequential) and len(c.bn) == 0 else 1 for c in convs]
    elif hybrid:
        # ViTamin: a conv stem + MbConv stages + a strided conv into the transformer width
        bb = pe.backbone
        st = list(bb.stages)
        f['pe'] = 'mbconv'
        f['mb'] = {'stem': bb.stem.conv1.out_channels, 'dims': [s[0].conv3_1x1.out_channels for s in st], 'depths': [len(s) for s in st],
                   'exp': st[0][0].conv1_1x1.out_channels // st[0][0].conv3_1x1.out_channels, 'k': st[0][0].conv2_kxk.kernel_size[0], 'poolK': bb.pool.proj.kernel_size[0]}
    else:
        f['pe'] = 'conv'
    return vit_body_facts(m, f, pe, std_patch)


def naflex_facts(m, f):
    # timm NaFlexVit (open_clip's NaFlex towers): Linear patch embedding over flattened patches, a 2-D
    # position grid, cls / register tokens under `embeds.`; blocks as the ViT / EVA template.
    e = m.embeds
    # (CLAP's NaFlex audio trunk: no learned positions at all, RoPE only: no posGrid)
    if not isinstance(e.proj, nn.Linear) or not is_id(getattr(e, 'norm', None)) or (e.pos_embed is not None and e.pos_embed.dim() != 4):
        f['template'] = 'opaque'
        return f
    f['pe'] = 'naflex'
    f['peIn'] = e.proj.in_features
    if e.pos_embed is not None:
        f['posGrid'] = list(e.pos_embed.shape[1:3])
    return vit_body_facts(m, f, None, False, embeds=e)


def vit_body_facts(m, f, pe, std_patch, embeds=None):
    tok = embeds if embeds is not None else m
    b = m.blocks[0]
    a = b.attn
    mlp = b.mlp
    mlpk = type(mlp).__name__
    f.update({
        'dim': m.embed_dim, 'depth': len(m.blocks), 'patch': pe.proj.kernel_size[0] if std_patch else 0,
        'posRows': m.pos_embed.shape[1] if embeds is None and getattr(m, 'pos_embed', None) is not None else 0,
        'cls': getattr(tok, 'cls_token', None) is not None,
        'reg': tok.reg_token.shape[1] if getattr(tok, 'reg_token', None) is not None else 0,
        'patchBias': (std_patch and pe.proj.bias is not None) or (embeds is not None and embeds.proj.bias is not None),
        'normPre': not is_id(getattr(m, 'norm_pre', None)),
        'norm': not is_id(getattr(m, 'norm', None)),
        'fcNorm': not is_id(getattr(m, 'fc_norm', None)),
        'headDim': getattr(b.attn, 'head_dim', 0) if hasattr(b, 'attn') else 0,
        'head': m.head.out_features if isinstance(getattr(m, 'head', None), nn.Linear) else 0,
        'headBias': isinstance(getattr(m, 'head', None), nn.Linear) and m.head.bias is not None,
    })
    # attention: fused qkv (+bias or EVA's separate q_bias / v_bias), or split q/k/v projections
    if hasattr(a, 'qkv') and a.qkv is not None:
        f['qkv'] = 'fused'
        f['qkvBias'] = a.qkv.bias is not None
        f['qvBias'] = getattr(a, 'q_bias', None) is not None
    else:
        f['qkv'] = 'split'
        f['qkvBias'] = a.q_proj.bias is not None
        f['kBias'] = a.k_proj.bias is not None
    f['qkNorm'] = not is_id(getattr(a, 'q_norm', None))
    f['attnNorm'] = not is_id(getattr(a, 'norm', None))
    if getattr(a, 'gate', None) is not None:
        f['attnGate'] = True  # sigmoid output gate (attn_gated): a Linear with the qkv bias setting
    f['ls'] = (not is_id(getattr(b, 'ls1', None))) or getattr(b, 'gamma_1', None) is not None
    f['lsName'] = 'gamma' if getattr(b, 'gamma_1', None) is not None else 'ls'
    if mlpk in ('Mlp',):
        f['mlp'] = 'mlp'
        f['hidden'] = mlp.fc1.out_features
        f['mlpNorm'] = not is_id(getattr(mlp, 'norm', None))
    elif mlpk == 'GluMlp':
        # packed gate: fc1 = [value; gate] (2 × hidden rows), fc2 over hidden
        f['mlp'] = 'glu'
        f['hidden'] = mlp.fc1.out_features
        f['mlpNorm'] = not is_id(getattr(mlp, 'norm', None))
    elif mlpk == 'GeGluMlp':
        f['mlp'] = 'geglu'
        f['hidden'] = mlp.w0.out_features
        f['mlpNorm'] = not is_id(getattr(mlp, 'norm', None))
    elif mlpk == 'SwiGLU':
        f['mlp'] = 'swiglu'
        f['hidden'] = mlp.fc1_g.out_features
        f['mlpNorm'] = not is_id(getattr(mlp, 'norm', None))
    else:
        f['template'] = 'opaque'
        return f
    ap = getattr(m, 'attn_pool', None)
    if ap is not None:
        if type(ap).__name__ != 'AttentionPoolLatent':
            f['template'] = 'opaque'
            return f
        f['map'] = {'latent': ap.latent.shape[1], 'hidden': ap.mlp.fc1.out_features, 'norm': not is_id(getattr(ap, 'norm', None)), 'qNorm': not is_id(getattr(ap, 'q_norm', None))}
    rp = getattr(a, 'rel_pos', None)
    if rp is not None:
        if type(rp).__name__ != 'RelPosMlp':
            f['template'] = 'opaque'
            return f
        f['relpos'] = {'hidden': rp.mlp.fc1.out_features, 'heads': rp.mlp.fc2.out_features, 'in': rp.mlp.fc1.in_features}
    # block-specific extras the template does not know make the trunk opaque
    names = {k[len('blocks.0.'):] for k in m.state_dict() if k.startswith('blocks.0.')}
    known = {'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.q_bias', 'attn.v_bias', 'attn.q_proj.weight', 'attn.q_proj.bias', 'attn.k_proj.weight', 'attn.k_proj.bias', 'attn.v_proj.weight', 'attn.v_proj.bias', 'attn.proj.weight', 'attn.proj.bias', 'attn.norm.weight', 'attn.norm.bias', 'attn.q_norm.weight', 'attn.q_norm.bias', 'attn.k_norm.weight', 'attn.k_norm.bias', 'ls1.gamma', 'ls2.gamma', 'gamma_1', 'gamma_2', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias', 'mlp.fc1_g.weight', 'mlp.fc1_g.bias', 'mlp.fc1_x.weight', 'mlp.fc1_x.bias', 'mlp.norm.weight', 'mlp.norm.bias', 'mlp.w0.weight', 'mlp.w0.bias', 'mlp.w1.weight', 'mlp.w1.bias', 'mlp.w2.weight', 'mlp.w2.bias', 'attn.rel_pos.mlp.fc1.weight', 'attn.rel_pos.mlp.fc1.bias', 'attn.rel_pos.mlp.fc2.weight', 'attn.rel_pos.mlp.fc2.bias', 'attn.gate.weight', 'attn.gate.bias'}
    if names - known:
        f['template'] = 'opaque'
        f['unknown'] = sorted(names - known)
        return f
    f['template'] = 'eva' if f['class'] == 'Eva' else 'vit'
    return f


def trunk_key(v, embed):
    # The trunk as open_clip builds it depends on the pool, on whether the projection is inside it (num_classes = embed)
    # and on extra timm kwargs (development configs: `timm_model_kwargs`, as canonical JSON).
    inner = v.get('proj', '') in ('', 'none')
    key = f"{v['trunk']}|{v.get('pool', '')}|{(0 if v.get('proj') == 'none' else embed) if inner else 'x'}"
    return key + ('|' + json.dumps(v['kwargs'], sort_keys=True, separators=(',', ':')) if v.get('kwargs') else '')


def main():
    cfg_dir = os.path.join(os.path.dirname(open_clip.__file__), 'model_configs')
    configs = {}
    for p in sorted(glob.glob(os.path.join(cfg_dir, '*.json'))):
        name = os.path.basename(p)[:-5]
        configs[name] = openclip_facts(name, json.load(open(p)))
    # timm trunks as open_clip builds them (num_classes from the config's proj choice does not change the trunk body)
    trunks = {}
    from open_clip.timm_model import TimmModel
    for name, c in configs.items():
        v = c['vision']
        if v['kind'] != 'timm':
            continue
        key = trunk_key(v, c['embed'])
        if key in trunks:
            continue
        tm = TimmModel(v['trunk'], c['embed'], image_size=v['image'], pool=v.get('pool', ''), proj=v.get('proj', ''), proj_bias=v.get('projBias', False))
        trunks[key] = trunk_facts(v['trunk'], model=tm.trunk)
        v['trunkKey'] = key
    for name, c in configs.items():
        if c['vision']['kind'] == 'timm':
            c['vision']['trunkKey'] = trunk_key(c['vision'], c['embed'])
    towers = {}
    names, tagged = ML.timm_names()
    # timm's CLIP towers by name, and the CLIP pretrained tags of generic models (convnext_*.clip_*,
    # vit_base_mci_224.apple_mclip, eva_giant_*.clip_ft_in1k): built by the tagged name, so with the tag's num_classes.
    for name in names + tagged:
        towers[name.lower()] = trunk_facts(name)
    # Opaque parts (classes without a template) are still identified and counted: the number of
    # state-dict entries under their prefix and their first / last two entries (name, shape).
    import gzip
    fx = os.path.join(HERE, '..', 'test', 'fixtures', 'layouts')
    oc = json.load(gzip.open(os.path.join(fx, 'openclip.json.gz'), 'rt'))['models']
    tm = json.load(gzip.open(os.path.join(fx, 'timm.json.gz'), 'rt'))['models']

    def opaque_facts(entries, prefix):
        sub = [(k[len(prefix):], s) for k, s, *_ in entries if k.startswith(prefix)]
        pick = sub[:2] + sub[-2:] if len(sub) > 4 else sub
        return {'count': len(sub), 'anchors': [[k, s] for k, s in pick]}
    for name, c in configs.items():
        v = c['vision']
        if v['kind'] == 'timm' and trunks[v['trunkKey']]['template'] == 'opaque' and 'count' not in trunks[v['trunkKey']]:
            trunks[v['trunkKey']].update(opaque_facts(oc[name]['tensors'], 'visual.trunk.'))
    tm_lower = {k.lower(): v for k, v in tm.items()}
    for name, t in towers.items():
        if t['template'] == 'opaque':
            t.update(opaque_facts(tm_lower[name]['tensors'], ''))
    lines = [
        '/* Generated by scripts/make_clip_tables.py — do not edit by hand. */',
        f'/* Facts from open_clip_torch {open_clip.__version__} model configs ({len(configs)}) and timm {timm.__version__} model objects, in our own format. */',
        "import type { OpenClipFacts, TimmTrunkFacts } from './clipTables.js';",
        '',
        'export const OPENCLIP_CONFIGS: Readonly<Record<string, OpenClipFacts>> = {',
    ]
    for k, v in configs.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines += ['};', '', '/** Image trunks of open_clip configs, built as open_clip builds them (num_classes=0, the config\'s image size). */', 'export const OPENCLIP_TRUNKS: Readonly<Record<string, TimmTrunkFacts>> = {']
    for k, v in trunks.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines += ['};', '', '/** timm\'s CLIP-family towers by model name, as `timm.create_model(name)` builds them. */', 'export const TIMM_TOWERS: Readonly<Record<string, TimmTrunkFacts>> = {']
    for k, v in towers.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines += ['};', '']
    open(OUT, 'w').write('\n'.join(lines))
    print('wrote', OUT, len(configs), len(trunks), len(towers))


if __name__ == '__main__':
    main()
