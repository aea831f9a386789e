import { pair } from './clip.js';
import type { PartSpec, TensorTemplate } from './types.js';

/**
 * CLAP's audio tower (open_clip AudioTower, development configs with an `audio_cfg`): the encoder
 * under `audio.encoder.` and the two-layer MLP `audio.proj` into the shared embedding. Encoders:
 * - HTSAT (`audio.kind == 'htsat'`): a torchlibrosa STFT + mel filterbank front end (constant DFT
 *   and filterbank matrices, stored as weights: role `buffer`, rebuilt from the config), BatchNorm
 *   over mel bins, a conv patch embedding (optionally the `aff_2d` fusion branch), Swin stages
 *   (windowed attention with a relative-position table; shifted blocks store their attention mask)
 *   with patch merging at the END of each stage but the last, a final norm, and its AudioSet head
 *   (`tscam_conv`, `head`: not used for the CLAP embedding, role `optional`);
 * - the Whisper encoder (`'whisper'`): conv stem, sinusoidal positions (a stored buffer), blocks
 *   with query / key (no bias) / value / out, `ln_post`, a Linear to the embedding width, and
 *   `audio_bos_eos_token` (not used for the CLAP embedding: `optional`);
 * - a timm NaFlexVit over mel patches (`'naflex'`): the timm ViT template of openclip.ts under
 *   `audio.encoder.vit.` with tower `audio` (see timmTrunkParts).
 * Fields `audio.*` (clipTables.ts OpenClipAudio), `embed`, `audio.out` = the encoder's output width.
 */

const lin = (name: string, out: string, inp: string, bias = true): TensorTemplate[] => [{ name: `${name}.weight`, shape: [out, inp] }, ...(bias ? [{ name: `${name}.bias`, shape: [out] }] : [])];
const bn = (name: string, C: string): TensorTemplate[] => [
  ...pair(name, [C]),
  { name: `${name}.running_mean`, shape: [C], role: 'buffer' },
  { name: `${name}.running_var`, shape: [C], role: 'buffer' },
  { name: `${name}.num_batches_tracked`, shape: [], role: 'buffer', dtype: 'I64' },
];
const conv1x1 = (name: string, O: string, I: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [O, I, 1, 1] },
  { name: `${name}.bias`, shape: [O] },
];

export function audioParts(): PartSpec[] {
  const htsat = "audio.kind == 'htsat'";
  const whisper = "audio.kind == 'whisper'";
  const E = 'audio.encoder.';
  return [
    // --- HTSAT
    {
      id: 'audio.frontend',
      kind: 'embeddings',
      tower: 'audio',
      prefix: E,
      when: htsat,
      vars: { F: 'audio.nfft // 2 + 1' },
      tensors: [
        { name: 'spectrogram_extractor.stft.conv_real.weight', shape: ['F', 1, 'audio.nfft'], role: 'buffer' },
        { name: 'spectrogram_extractor.stft.conv_imag.weight', shape: ['F', 1, 'audio.nfft'], role: 'buffer' },
        { name: 'logmel_extractor.melW', shape: ['F', 'audio.mels'], role: 'buffer' },
        ...bn('bn0', 'audio.mels'),
      ],
    },
    {
      id: 'audio.embeddings',
      kind: 'embeddings',
      tower: 'audio',
      prefix: `${E}patch_embed.`,
      when: htsat,
      vars: { D: 'audio.dim', p: 'audio.patch', r: 'audio.dim // 4' },
      tensors: [
        { name: 'proj.weight', shape: ['D', 1, 'p', 'p'] },
        { name: 'proj.bias', shape: ['D'] },
        ...pair('norm', ['D']),
        // enable_fusion with fusion_type aff_2d: a wide conv over the global mel view + AFF (local / global attention convs)
        { name: 'mel_conv2d.weight', shape: ['D', 1, 'p', '3 * p'], when: "audio.fusion == 'aff_2d'" },
        { name: 'mel_conv2d.bias', shape: ['D'], when: "audio.fusion == 'aff_2d'" },
        ...[...conv1x1('fusion_model.local_att.0', 'r', 'D'), ...bn('fusion_model.local_att.1', 'r'), ...conv1x1('fusion_model.local_att.3', 'D', 'r'), ...bn('fusion_model.local_att.4', 'D')].map((t) => ({ ...t, when: "audio.fusion == 'aff_2d'" })),
        ...[...conv1x1('fusion_model.global_att.1', 'r', 'D'), ...bn('fusion_model.global_att.2', 'r'), ...conv1x1('fusion_model.global_att.4', 'D', 'r'), ...bn('fusion_model.global_att.5', 'D')].map((t) => ({ ...t, when: "audio.fusion == 'aff_2d'" })),
      ],
    },
    {
      id: 'audio.blocks',
      kind: 'blocks',
      tower: 'audio',
      prefix: `${E}layers.{S}.blocks.{N}.`,
      when: htsat,
      each: 'len(audio.depths)',
      repeat: 'at(audio.depths, S)',
      // Stage S: width dim·2^S, resolution (spec / patch) / 2^S; the window shrinks to the resolution
      // when that is smaller, and a block shifts (storing its mask) when N is odd and the resolution exceeds the window.
      vars: { D: 'audio.dim * 2 ** S', h: 'at(audio.heads, S)', res: 'audio.spec // audio.patch // 2 ** S', w: 'res <= audio.window ? res : audio.window', nW: '(res // w) ** 2' },
      tensors: [
        { name: 'attn_mask', shape: ['nW', 'w * w', 'w * w'], role: 'buffer', when: 'N % 2 == 1 && res > audio.window' },
        ...pair('norm1', ['D']),
        { name: 'attn.relative_position_bias_table', shape: ['(2 * w - 1) * (2 * w - 1)', 'h'] },
        { name: 'attn.relative_position_index', shape: ['w * w', 'w * w'], role: 'buffer', dtype: 'I64' },
        ...lin('attn.qkv', '3 * D', 'D'),
        ...lin('attn.proj', 'D', 'D'),
        ...pair('norm2', ['D']),
        ...lin('mlp.fc1', '4 * D', 'D'),
        ...lin('mlp.fc2', 'D', '4 * D'),
      ],
    },
    {
      id: 'audio.downsample',
      kind: 'embeddings',
      tower: 'audio',
      prefix: `${E}layers.{S}.downsample.`,
      when: htsat,
      each: 'len(audio.depths) - 1',
      vars: { D: 'audio.dim * 2 ** S' },
      tensors: [{ name: 'reduction.weight', shape: ['2 * D', '4 * D'] }, ...pair('norm', ['4 * D'])],
    },
    { id: 'audio.norm', kind: 'norm', tower: 'audio', prefix: E, when: htsat, tensors: pair('norm', ['audio.out']) },
    {
      // HTSAT's AudioSet classifier (token-semantic conv + Linear): CLAP's embedding is taken before it.
      id: 'audio.head',
      kind: 'head',
      tower: 'audio',
      prefix: E,
      when: htsat,
      vars: { sf: 'audio.spec // 2 ** (len(audio.depths) - 1) // audio.patch // (audio.spec // audio.mels)', C: 'audio.classes' },
      tensors: [
        { name: 'tscam_conv.weight', shape: ['C', 'audio.out', 'sf', 3], role: 'optional' },
        { name: 'tscam_conv.bias', shape: ['C'], role: 'optional' },
        { name: 'head.weight', shape: ['C', 'C'], role: 'optional' },
        { name: 'head.bias', shape: ['C'], role: 'optional' },
      ],
    },
    // --- Whisper encoder
    {
      id: 'audio.embeddings',
      kind: 'embeddings',
      tower: 'audio',
      prefix: E,
      when: whisper,
      vars: { W: 'audio.width' },
      tensors: [
        { name: 'positional_embedding', shape: ['audio.ctx', 'W'], role: 'buffer' },
        { name: 'conv1.weight', shape: ['W', 'audio.mels', 3] },
        { name: 'conv1.bias', shape: ['W'] },
        { name: 'conv2.weight', shape: ['W', 'W', 3] },
        { name: 'conv2.bias', shape: ['W'] },
      ],
    },
    {
      id: 'audio.blocks',
      kind: 'blocks',
      tower: 'audio',
      prefix: `${E}blocks.{N}.`,
      when: whisper,
      repeat: 'audio.layers',
      vars: { W: 'audio.width' },
      tensors: [
        ...lin('attn.query', 'W', 'W'),
        ...lin('attn.key', 'W', 'W', false),
        ...lin('attn.value', 'W', 'W'),
        ...lin('attn.out', 'W', 'W'),
        ...pair('attn_ln', ['W']),
        ...lin('mlp.0', '4 * W', 'W'),
        ...lin('mlp.2', 'W', '4 * W'),
        ...pair('mlp_ln', ['W']),
      ],
    },
    { id: 'audio.norm', kind: 'norm', tower: 'audio', prefix: E, when: whisper, tensors: pair('ln_post', ['audio.width']) },
    {
      id: 'audio.head',
      kind: 'head',
      tower: 'audio',
      prefix: E,
      when: whisper,
      tensors: [...lin('proj', 'embed', 'audio.width'), { name: 'audio_bos_eos_token.weight', shape: [2, 'embed'], role: 'optional' }],
    },
    // --- AudioTower.proj: Linear, activation, Linear into the shared embedding
    {
      id: 'audio.proj',
      kind: 'projector',
      tower: 'projection',
      prefix: 'audio.proj.',
      when: "audio.kind != 'none'",
      tensors: [...lin('0', 'embed', 'audio.out'), ...lin('2', 'embed', 'embed')],
    },
  ];
}
