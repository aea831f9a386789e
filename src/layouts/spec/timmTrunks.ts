import { batchNorm, pair } from './clip.js';
import type { PartSpec, TensorTemplate } from './types.js';

/**
 * timm image trunks other than the plain ViT / EVA (those are in openclip.ts): ConvNeXt, Swin,
 * ByobNet ResNet-CLIP, and the hybrid patch embeddings of MobileCLIP's ViT (a conv stem) and
 * ViTamin (MbConv stages). Shapes come from the trunk's facts (`trunk.*`, written by
 * scripts/make_clip_tables.py from the model objects timm builds): per-stage widths and depths as
 * lists, read with `at(list, S)`. The prefix is `{$trunk}` (`visual.trunk.` in open_clip, empty for
 * a tower saved by timm). Parts keep the ids the findings read: `vision.embeddings`,
 * `vision.blocks` (repeated: a dropped block is named), `vision.norm`, `vision.trunk_head`.
 */

const lin = (name: string, out: string, inp: string, when?: string, bias = true): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [out, inp], ...(when ? { when } : {}) },
  ...(bias ? [{ name: `${name}.bias`, shape: [out], ...(when ? { when } : {}) }] : []),
];

/** `conv` + BatchNorm (timm ConvNormAct) with an [O, I, k, k] kernel and no conv bias. */
const convBn = (name: string, O: string, I: string, k: string, when?: string): TensorTemplate[] => [
  { name: `${name}.conv.weight`, shape: [O, I, k, k], ...(when ? { when } : {}) },
  ...batchNorm(`${name}.bn`, O, when),
];

/** A trunk-class condition: the trunk exists and has this template. */
const is = (trunkOn: string, template: string) => `(${trunkOn}) && trunk.template == '${template}'`;

/** The classifier / projection a timm model carries (`head.fc`), rows from its pretrained tag. */
function headFc(trunkOn: string, template: string, inRows: string): PartSpec {
  return {
    id: 'vision.trunk_head',
    kind: 'projector',
    tower: 'projection',
    prefix: '{$trunk}head.',
    when: `${is(trunkOn, template)} && trunk.head != 0`,
    tensors: [
      { name: 'fc.weight', shape: ['trunk.head', inRows] },
      { name: 'fc.bias', shape: ['trunk.head'], when: 'trunk.headBias' },
    ],
  };
}

/** timm ConvNeXt: stem (4×4 patchify + LayerNorm2d), stages of (LayerNorm2d + 2×2 conv) downsample and ConvNeXt blocks, head norm (+ MLP pre-logits). */
export function convnextParts(trunkOn: string): PartSpec[] {
  const on = is(trunkOn, 'convnext');
  return [
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}stem.',
      when: on,
      vars: { C: 'at(trunk.dims, 0)', k: 'trunk.stemK' },
      tensors: [{ name: '0.weight', shape: ['C', 3, 'k', 'k'] }, { name: '0.bias', shape: ['C'] }, ...pair('1', ['C'])],
    },
    {
      id: 'vision.downsample',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}stages.{S}.downsample.',
      when: on,
      each: 'len(trunk.dims)',
      vars: { I: 'S > 0 ? at(trunk.dims, S - 1) : 0', O: 'at(trunk.dims, S)', k: 'trunk.dsK' },
      tensors: [...pair('0', ['I'], 'S > 0'), { name: '1.weight', shape: ['O', 'I', 'k', 'k'], when: 'S > 0' }, { name: '1.bias', shape: ['O'], when: 'S > 0' }],
    },
    {
      id: 'vision.blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: '{$trunk}stages.{S}.blocks.{N}.',
      when: on,
      each: 'len(trunk.dims)',
      repeat: 'at(trunk.depths, S)',
      vars: { D: 'at(trunk.dims, S)', H: 'at(trunk.hidden, S)', k: 'trunk.dwK' },
      tensors: [
        { name: 'gamma', shape: ['D'], when: 'trunk.ls' },
        { name: 'conv_dw.weight', shape: ['D', 1, 'k', 'k'] },
        { name: 'conv_dw.bias', shape: ['D'] },
        ...pair('norm', ['D']),
        ...lin('mlp.fc1', 'H', 'D'),
        ...lin('mlp.fc2', 'D', 'H'),
      ],
    },
    {
      id: 'vision.norm',
      kind: 'norm',
      tower: 'vision',
      prefix: '{$trunk}',
      when: on,
      tensors: [...pair('norm_pre', ['trunk.features'], 'trunk.normPre'), ...pair('head.norm', ['trunk.features'], 'trunk.headNorm')],
    },
    { id: 'vision.pre_logits', kind: 'head', tower: 'vision', prefix: '{$trunk}head.pre_logits.', when: `${on} && trunk.headHidden > 0`, tensors: lin('fc', 'trunk.headHidden', 'trunk.features') },
    headFc(trunkOn, 'convnext', 'trunk.headHidden > 0 ? trunk.headHidden : trunk.features'),
  ];
}

/** timm Swin Transformer: patch embed (+ norm), stages of (patch merging) + windowed-attention blocks, final norm. */
export function swinParts(trunkOn: string): PartSpec[] {
  const on = is(trunkOn, 'swin');
  return [
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}patch_embed.',
      when: on,
      vars: { C: 'at(trunk.dims, 0)', p: 'trunk.patch' },
      tensors: [{ name: 'proj.weight', shape: ['C', 3, 'p', 'p'] }, { name: 'proj.bias', shape: ['C'] }, ...pair('norm', ['C'], 'trunk.patchNorm')],
    },
    {
      id: 'vision.downsample',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}layers.{S}.downsample.',
      when: on,
      each: 'len(trunk.dims)',
      vars: { I: 'S > 0 ? 4 * at(trunk.dims, S - 1) : 0', O: 'at(trunk.dims, S)' },
      tensors: [...pair('norm', ['I'], 'S > 0'), { name: 'reduction.weight', shape: ['O', 'I'], when: 'S > 0' }],
    },
    {
      id: 'vision.blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: '{$trunk}layers.{S}.blocks.{N}.',
      when: on,
      each: 'len(trunk.dims)',
      repeat: 'at(trunk.depths, S)',
      vars: { D: 'at(trunk.dims, S)', H: 'at(trunk.hidden, S)', w: 'at(trunk.window, S)', h: 'at(trunk.heads, S)' },
      tensors: [
        ...pair('norm1', ['D']),
        { name: 'attn.relative_position_bias_table', shape: ['(2 * w - 1) * (2 * w - 1)', 'h'] },
        ...lin('attn.qkv', '3 * D', 'D', undefined, true).map((t) => (t.name.endsWith('bias') ? { ...t, when: 'trunk.qkvBias' } : t)),
        ...lin('attn.proj', 'D', 'D'),
        ...pair('norm2', ['D']),
        ...lin('mlp.fc1', 'H', 'D'),
        ...lin('mlp.fc2', 'D', 'H'),
      ],
    },
    { id: 'vision.norm', kind: 'norm', tower: 'vision', prefix: '{$trunk}', when: on, tensors: pair('norm', ['trunk.features'], 'trunk.norm') },
    headFc(trunkOn, 'swin', 'trunk.features'),
  ];
}

/** timm ResNet-CLIP (ByobNet): 3-conv stem, bottleneck stages (avg-pool + 1×1 conv shortcut in each stage's first block), attention-pool head. */
export function byobParts(trunkOn: string): PartSpec[] {
  const on = is(trunkOn, 'byob');
  return [
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}stem.',
      when: on,
      vars: { a: 'at(trunk.stem, 0)', b: 'at(trunk.stem, 1)', c: 'at(trunk.stem, 2)' },
      tensors: [...convBn('conv1', 'a', '3', '3'), ...convBn('conv2', 'b', 'a', '3'), ...convBn('conv3', 'c', 'b', '3')],
    },
    {
      id: 'vision.blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: '{$trunk}stages.{S}.{N}.',
      when: on,
      each: 'len(trunk.dims)',
      repeat: 'at(trunk.depths, S)',
      vars: { O: 'at(trunk.dims, S)', M: 'at(trunk.mid, S)', I: 'N > 0 ? O : (S > 0 ? at(trunk.dims, S - 1) : at(trunk.stem, 2))' },
      tensors: [...convBn('shortcut.conv', 'O', 'I', '1', 'N == 0'), ...convBn('conv1_1x1', 'M', 'I', '1'), ...convBn('conv2_kxk', 'M', 'M', '3'), ...convBn('conv3_1x1', 'O', 'M', '1')],
    },
    {
      id: 'vision.attn_pool',
      kind: 'head',
      tower: 'vision',
      prefix: '{$trunk}head.',
      when: `${on} && defined(trunk.attnPool.tokens)`,
      vars: { F: 'trunk.features' },
      tensors: [{ name: 'pos_embed', shape: ['trunk.attnPool.tokens', 'F'] }, ...lin('q', 'F', 'F'), ...lin('k', 'F', 'F'), ...lin('v', 'F', 'F')],
    },
    { id: 'vision.trunk_head', kind: 'projector', tower: 'projection', prefix: '{$trunk}head.', when: `${on} && defined(trunk.attnPool.tokens)`, tensors: lin('proj', 'trunk.attnPool.out', 'trunk.features') },
    headFc(trunkOn, 'byob', 'trunk.features'),
  ];
}

/**
 * Other patch embeddings of timm ViTs: NaFlexVit's Linear embedding (`pe == 'naflex'`), MobileCLIP's conv stem (`pe == 'convstem'`: strided convs,
 * BatchNorm except the last, which has a bias) and ViTamin's MbConv backbone (`pe == 'mbconv'`).
 * `on` = the ViT trunk exists.
 */
export function hybridEmbedParts(on: string, tower: 'vision' | 'audio' = 'vision'): PartSpec[] {
  const mb = `${on} && trunk.pe == 'mbconv'`;
  return [
    {
      // NaFlexVit: a Linear over flattened patches, a 2-D position grid (none: RoPE only), tokens under `embeds.`
      id: `${tower}.embeddings`,
      kind: 'embeddings',
      tower,
      prefix: '{$trunk}embeds.',
      when: `${on} && trunk.pe == 'naflex'`,
      vars: { D: 'trunk.dim' },
      tensors: [
        { name: 'cls_token', shape: [1, 1, 'D'], when: 'trunk.cls' },
        { name: 'reg_token', shape: [1, 'trunk.reg', 'D'], when: 'trunk.reg > 0' },
        { name: 'pos_embed', shape: [1, 'at(trunk.posGrid, 0)', 'at(trunk.posGrid, 1)', 'D'], when: 'defined(trunk.posGrid)' },
        { name: 'proj.weight', shape: ['D', 'trunk.peIn'] },
        { name: 'proj.bias', shape: ['D'], when: 'trunk.patchBias' },
      ],
    },
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}patch_embed.backbone.{N}.',
      when: `${on} && trunk.pe == 'convstem'`,
      repeat: 'len(trunk.stemOut)',
      vars: { O: 'at(trunk.stemOut, N)', I: 'N > 0 ? at(trunk.stemOut, N - 1) : 3', k: 'at(trunk.stemK, N)', bn: 'at(trunk.stemBn, N) == 1' },
      tensors: [{ name: 'conv.weight', shape: ['O', 'I', 'k', 'k'] }, { name: 'conv.bias', shape: ['O'], when: '!bn' }, ...batchNorm('bn', 'O', 'bn')],
    },
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}patch_embed.backbone.stem.',
      when: mb,
      vars: { C: 'trunk.mb.stem' },
      tensors: [...lin('conv1', 'C', '3').map((t) => (t.name.endsWith('weight') ? { ...t, shape: ['C', 3, 3, 3] } : t)), ...pair('norm1', ['C']), { name: 'conv2.weight', shape: ['C', 'C', 3, 3] }, { name: 'conv2.bias', shape: ['C'] }],
    },
    {
      id: 'vision.embed_blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: '{$trunk}patch_embed.backbone.stages.{S}.{N}.',
      when: mb,
      each: 'len(trunk.mb.dims)',
      repeat: 'at(trunk.mb.depths, S)',
      vars: { O: 'at(trunk.mb.dims, S)', I: 'N > 0 ? O : (S > 0 ? at(trunk.mb.dims, S - 1) : trunk.mb.stem)', M: 'O * trunk.mb.exp', k: 'trunk.mb.k' },
      tensors: [
        { name: 'shortcut.expand.weight', shape: ['O', 'I', 1, 1], when: 'I != O' },
        { name: 'shortcut.expand.bias', shape: ['O'], when: 'I != O' },
        ...pair('pre_norm', ['I']),
        { name: 'conv1_1x1.weight', shape: ['M', 'I', 1, 1] },
        { name: 'conv1_1x1.bias', shape: ['M'] },
        { name: 'conv2_kxk.weight', shape: ['M', 1, 'k', 'k'] },
        { name: 'conv2_kxk.bias', shape: ['M'] },
        { name: 'conv3_1x1.weight', shape: ['O', 'M', 1, 1] },
        { name: 'conv3_1x1.bias', shape: ['O'] },
      ],
    },
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}patch_embed.backbone.pool.',
      when: mb,
      vars: { L: 'at(trunk.mb.dims, len(trunk.mb.dims) - 1)', k: 'trunk.mb.poolK' },
      tensors: [{ name: 'proj.weight', shape: ['trunk.dim', 'L', 'k', 'k'] }, { name: 'proj.bias', shape: ['trunk.dim'] }, ...pair('norm', ['L'])],
    },
  ];
}

/**
 * A timm MobileOneBlock under `name.` with its facts in vars (`${v}O` out channels, `${v}G` in/groups,
 * `${v}k` kernel, `${v}c` conv branch, `${v}s` scale branch (+ `${v}sG`), `${v}i` identity BatchNorm,
 * `${v}se` squeeze-excite width; 0 = absent).
 */
function mobileOneTensors(name: string, v: string): TensorTemplate[] {
  const p = name ? `${name}.` : '';
  const O = `${v}O`;
  return [
    { name: `${p}se.fc1.weight`, shape: [`${v}se`, O, 1, 1], when: `${v}se > 0` },
    { name: `${p}se.fc1.bias`, shape: [`${v}se`], when: `${v}se > 0` },
    { name: `${p}se.fc2.weight`, shape: [O, `${v}se`, 1, 1], when: `${v}se > 0` },
    { name: `${p}se.fc2.bias`, shape: [O], when: `${v}se > 0` },
    ...batchNorm(`${p}identity`, O, `${v}i == 1`),
    ...convBn(`${p}conv_kxk.0`, O, `${v}G`, `${v}k`, `${v}c == 1`),
    ...convBn(`${p}conv_scale`, O, `${v}sG`, '1', `${v}s == 1`),
  ];
}

/** The vars of a MobileOneBlock whose facts are lists indexed by `i` (`trunk.fv.stemOut` …) or scalars (`trunk.fv.finOut` …). */
function mobileOneVars(v: string, src: string, i?: string): Record<string, string> {
  const get = (k: string) => (i === undefined ? `trunk.fv.${src}${k}` : `at(trunk.fv.${src}${k}, ${i})`);
  return { [`${v}O`]: get('Out'), [`${v}G`]: get('Gin'), [`${v}k`]: get('K'), [`${v}c`]: get('Conv'), [`${v}s`]: get('Scale'), [`${v}sG`]: get('ScaleGin'), [`${v}i`]: get('Ident'), [`${v}se`]: get('Se') };
}

/**
 * timm FastViT (MobileCLIP's MCi0–MCi4 image towers): MobileOne stem, stages of (reparameterisable
 * large-kernel downsample + MobileOne 1×1, conv positional encoding) and RepMixer or attention
 * blocks with a ConvMlp, a MobileOne final conv, head.
 */
export function fastvitParts(trunkOn: string): PartSpec[] {
  const on = is(trunkOn, 'fastvit');
  const stages = 'len(trunk.fv.dims)';
  return [
    { id: 'vision.embeddings', kind: 'embeddings', tower: 'vision', prefix: '{$trunk}stem.{N}.', when: on, repeat: 'len(trunk.fv.stemOut)', vars: mobileOneVars('m', 'stem', 'N'), tensors: mobileOneTensors('', 'm') },
    {
      id: 'vision.downsample',
      kind: 'embeddings',
      tower: 'vision',
      prefix: '{$trunk}stages.{S}.',
      when: on,
      each: stages,
      vars: { O: 'at(trunk.fv.dims, S)', ds: 'at(trunk.fv.ds, S) == 1', se: 'at(trunk.fv.dsSe, S)', kl: 'trunk.fv.largeK', ks: 'trunk.fv.smallK', pk: 'trunk.fv.posK' },
      tensors: [
        ...convBn('downsample.proj.0.large_conv', 'O', '1', 'kl', 'ds'),
        ...convBn('downsample.proj.0.small_conv', 'O', '1', 'ks', 'ds'),
        { name: 'downsample.proj.0.se.fc1.weight', shape: ['se', 'O', 1, 1], when: 'ds && se > 0' },
        { name: 'downsample.proj.0.se.fc1.bias', shape: ['se'], when: 'ds && se > 0' },
        { name: 'downsample.proj.0.se.fc2.weight', shape: ['O', 'se', 1, 1], when: 'ds && se > 0' },
        { name: 'downsample.proj.0.se.fc2.bias', shape: ['O'], when: 'ds && se > 0' },
        ...batchNorm('downsample.proj.1.identity', 'O', 'ds'),
        ...convBn('downsample.proj.1.conv_kxk.0', 'O', 'O', '1', 'ds'),
        { name: 'pos_emb.pos_enc.weight', shape: ['O', 1, 'pk', 'pk'], when: 'at(trunk.fv.pos, S) == 1' },
        { name: 'pos_emb.pos_enc.bias', shape: ['O'], when: 'at(trunk.fv.pos, S) == 1' },
      ],
    },
    {
      id: 'vision.blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: '{$trunk}stages.{S}.blocks.{N}.',
      when: on,
      each: stages,
      repeat: 'at(trunk.fv.depths, S)',
      vars: { D: 'at(trunk.fv.dims, S)', H: 'at(trunk.fv.hidden, S)', attn: 'at(trunk.fv.attn, S) == 1', ln: 'at(trunk.fv.ln, S) == 1', mk: 'trunk.fv.mixK', ck: 'trunk.fv.mlpK' },
      tensors: [
        // RepMixer block
        ...batchNorm('token_mixer.norm.identity', 'D', '!attn'),
        ...batchNorm('token_mixer.mixer.identity', 'D', '!attn'),
        ...convBn('token_mixer.mixer.conv_kxk.0', 'D', '1', 'mk', '!attn'),
        ...convBn('token_mixer.mixer.conv_scale', 'D', '1', '1', '!attn'),
        { name: 'token_mixer.layer_scale.gamma', shape: ['D', 1, 1], when: '!attn' },
        // attention block (BatchNorm or LayerNorm before it)
        ...batchNorm('norm', 'D', 'attn && !ln'),
        ...pair('norm', ['D'], 'attn && ln'),
        { name: 'token_mixer.qkv.weight', shape: ['3 * D', 'D'], when: 'attn' },
        ...lin('token_mixer.proj', 'D', 'D', 'attn'),
        { name: 'layer_scale_1.gamma', shape: ['D', 1, 1], when: 'attn' },
        // ConvMlp
        ...convBn('mlp.conv', 'D', '1', 'ck'),
        { name: 'mlp.fc1.weight', shape: ['H', 'D', 1, 1] },
        { name: 'mlp.fc1.bias', shape: ['H'] },
        { name: 'mlp.fc2.weight', shape: ['D', 'H', 1, 1] },
        { name: 'mlp.fc2.bias', shape: ['D'] },
        { name: 'layer_scale.gamma', shape: ['D', 1, 1], when: '!attn' },
        { name: 'layer_scale_2.gamma', shape: ['D', 1, 1], when: 'attn' },
      ],
    },
    { id: 'vision.norm', kind: 'norm', tower: 'vision', prefix: '{$trunk}final_conv.', when: on, vars: mobileOneVars('m', 'fin'), tensors: mobileOneTensors('', 'm') },
    headFc(trunkOn, 'fastvit', 'trunk.features'),
  ];
}
