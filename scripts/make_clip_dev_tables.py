"""Writes src/layouts/spec/clipTablesDev.data.ts: open_clip's DEVELOPMENT configs (in its source tree,
not in the released open_clip_torch 3.3.0 the main table is built from) as our table of facts, for
the ones the spec mechanism expresses; the others are listed with the reason they are not.

Run with open_clip's source tree first on the path (a checkout of github.com/mlfoundations/open_clip)
and torch 2.x (its modern text tower uses nn.RMSNorm); the CLAP HTSAT configs import torchlibrosa:
`pip install --target DIR torchlibrosa==0.1.0 librosa` and prefix the command with PYTHONPATH=DIR:
    PYTHONPATH=DIR OPENCLIP_HEAD_SRC=/path/to/open_clip/src OPENCLIP_HEAD_COMMIT=<sha> HF_HUB_OFFLINE=1 \\
    PIP_OPENCLIP_CONFIGS=/opt/venv-layouts/lib/python3.11/site-packages/open_clip/model_configs \\
    /opt/venv-convert/bin/python scripts/make_clip_dev_tables.py
Ground truth for the same models: test/fixtures/layouts/make_layouts.py openclip-dev.
"""
import json
import os
import sys

sys.path.insert(0, os.environ['OPENCLIP_HEAD_SRC'])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_clip_tables as MT  # noqa: E402  (meta device on, open_clip = the source tree)
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'fixtures', 'layouts'))
import make_layouts as ML  # noqa: E402

ML.audio_deps_on_cpu()  # CLAP HTSAT: torchlibrosa (PYTHONPATH=DIR with torchlibrosa + librosa, see make_layouts.py)
import open_clip  # noqa: E402

OUT = os.path.join(HERE, '..', 'src', 'layouts', 'spec', 'clipTablesDev.data.ts')


def unsupported(c):
    """Why a development config is outside what our specs express (None = expressible)."""
    t = c.get('text_cfg', {})
    if t.get('hf_model_name') and t['hf_model_name'] not in ML.HF_TEXT_CONFIGS:
        return f"transformers text tower {t['hf_model_name']}: no template"
    return None


# open_clip/audio/tower.py: HTSAT sizes by model_name, Whisper sizes by model_name (whisper.py)
HTSAT = {'tiny': (96, [2, 2, 6, 2], [4, 8, 16, 32]), 'base': (128, [2, 2, 12, 2], [4, 8, 16, 32]), 'large': (256, [2, 2, 12, 2], [4, 8, 16, 32])}
WHISPER = {'tiny': (4, 384), 'base': (6, 512), 'small': (12, 768), 'medium': (24, 1024), 'large': (32, 1280)}


def audio_key(a):
    # A NaFlex audio trunk as AudioTower builds it: patch geometry, channels, RoPE type and the NaFlexVitCfg overrides.
    return 'naflex-audio|' + json.dumps({'pf': a.get('patch_freq', 64), 'pt': a.get('patch_time', 4), 'in': a.get('in_chans', 1), 'rope': a.get('rope_type', 'axial'), 'cfg': a.get('naflexvit_cfg', {})}, sort_keys=True, separators=(',', ':'))


def fused_facts(m):
    """NaFlexGenLip / NaFlexGenLap: one transformer over [patch ; text] tokens. Facts from the model's own resolved
    config dataclasses (open_clip's defaults applied), checked against its modules."""
    t = m.trunk_cfg
    lap = type(m).__name__ == 'NaFlexGenLap'
    side = m.audio_cfg if lap else m.vision_cfg
    patch_in = side.in_chans * side.patch_freq * side.patch_time if lap else side.in_chans * side.patch_size ** 2
    pe = m.audio_embed if lap else m.patch_embed
    assert pe.proj.in_features == patch_in and len(m.trunk.layers) == t.depth
    f = {
        'kind': 'genlap' if lap else 'genlip', 'width': t.width, 'depth': t.depth, 'heads': t.num_heads, 'hidden': t.intermediate_size,
        'textEmbed': t.text_embed_dim, 'vocab': m.text_cfg.vocab_size, 'gated': t.gated_attention, 'swiglu': t.use_swiglu_ffn,
        'ls': t.ls_init_value is not None and t.ls_init_value > 0, 'qkNorm': t.qk_norm, 'attnBias': t.attention_bias, 'mlpBias': t.mlp_bias,
        'norm': t.norm_type, 'patchIn': patch_in, 'patchBias': side.proj_bias, 'inputNorm': side.input_norm, 'preNorm': side.pre_norm,
        'textPreNorm': m.text_cfg.pre_norm,
    }
    assert f['ls'] == (type(m.trunk.layers[0].layer_scale1).__name__ != 'Identity')
    return {k: v for k, v in f.items() if v is not False}


def audio_facts(a, m):
    """CLAP's audio tower (open_clip AudioTower): the facts our audio templates need, from the config, checked against the built model `m`."""
    kind = a.get('model_type', 'HTSAT')
    if kind == 'HTSAT':
        dim, depths, heads = HTSAT[a.get('model_name', 'tiny')]
        f = {'kind': 'htsat', 'dim': dim, 'depths': depths, 'heads': heads, 'window': 8, 'patch': 4, 'spec': 256, 'mels': a.get('mel_bins', 64), 'nfft': a.get('window_size', 1024), 'classes': a.get('class_num', 527)}
        if a.get('enable_fusion'):
            f['fusion'] = a.get('fusion_type', 'aff_2d')
        enc = m.audio.encoder
        assert enc.embed_dim == dim and list(enc.depths) == depths and enc.window_size == 8
    elif kind.lower() == 'whisper':
        layers, width = WHISPER[a.get('model_name', 'tiny')]
        enc = m.audio.encoder
        assert len(enc.blocks) == layers and enc.conv1.out_channels == width
        f = {'kind': 'whisper', 'width': width, 'layers': layers, 'mels': enc.conv1.in_channels, 'ctx': enc.positional_embedding.shape[0]}
    else:
        f = {'kind': 'naflex', 'trunkKey': audio_key(a)}
    return f


def main():
    cfg_dir = os.path.join(os.path.dirname(open_clip.__file__), 'model_configs')
    names = ML.dev_config_names(open_clip)
    configs, trunks, skipped = {}, {}, {}
    ML.patch_autoconfig()
    for name in names:
        c = json.load(open(os.path.join(cfg_dir, name + '.json')))
        why = unsupported(c)
        if why:
            skipped[name] = why
            continue
        if 'genlip_cfg' in c or 'genlap_cfg' in c:
            # One fused transformer over patch (or mel-patch) and text tokens, with an LM head: no image / text towers.
            m = open_clip.create_model(name, pretrained=None, device='meta')
            configs[name] = {'embed': c['embed_dim'], 'vision': {'kind': 'none'}, 'text': {'kind': 'none'}, 'fused': fused_facts(m)}
            continue
        f = MT.openclip_facts(name, c)
        if 'audio_cfg' in c:
            # CLAP: an audio tower in place of the image tower (text tower under `text.` as in CustomTextCLIP)
            m = open_clip.create_model(name, pretrained=None, device='meta')
            a = audio_facts(c['audio_cfg'], m)
            if a['kind'] == 'naflex' and a['trunkKey'] not in trunks:
                t = MT.trunk_facts('NaFlexVit', model=m.audio.encoder.vit)
                assert t['template'] == 'vit', (name, t)
                trunks[a['trunkKey']] = t
            f['vision'] = {'kind': 'none'}
            f['audio'] = a
            f['customText'] = True
            configs[name] = f
            continue
        v = f['vision']
        if v['kind'] == 'timm':
            key = MT.trunk_key(v, f['embed'])
            v['trunkKey'] = key
            if key not in trunks:
                # the trunk exactly as open_clip builds it (kwargs, pool, head) — from the model itself
                m = open_clip.create_model(name, pretrained=None, device='meta')
                t = MT.trunk_facts(v['trunk'], model=m.visual.trunk)
                if v.get('kwargs'):
                    t['kwargs'] = v['kwargs']
                trunks[key] = t
        configs[name] = f
    lines = [
        '/* Generated by scripts/make_clip_dev_tables.py — do not edit by hand. */',
        f"/* open_clip development configs (source tree {os.environ.get('OPENCLIP_HEAD_COMMIT', '?')}, not in open_clip_torch 3.3.0): {len(configs)} expressed, {len(skipped)} not. */",
        "import type { OpenClipFacts, TimmTrunkFacts } from './clipTables.js';",
        '',
        'export const OPENCLIP_DEV_CONFIGS: Readonly<Record<string, OpenClipFacts>> = {',
    ]
    for k, v in configs.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines += ['};', '', 'export const OPENCLIP_DEV_TRUNKS: Readonly<Record<string, TimmTrunkFacts>> = {']
    for k, v in trunks.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v, separators=(",", ":"))},')
    lines += ['};', '', '/** Development configs the specs do not express, and why. */', 'export const OPENCLIP_DEV_SKIPPED: Readonly<Record<string, string>> = {']
    for k, v in skipped.items():
        lines.append(f'  {json.dumps(k)}: {json.dumps(v)},')
    lines += ['};', '']
    open(OUT, 'w').write('\n'.join(lines))
    print('wrote', OUT, len(configs), 'configs', len(trunks), 'trunks', len(skipped), 'skipped')


if __name__ == '__main__':
    main()
