import { stripWrapperPrefixes } from './canonical.js';

/**
 * CLAP checkpoints (open_clip's audio–text models): an audio encoder under `audio.encoder.` in
 * place of CLIP's image tower. The probe runs image–text CLIP only, so it refuses them up front
 * (before any engine is built) with a message naming the audio tower. One scan over the names.
 */

/** The audio tower's kind when the names hold one (`audio.encoder.*`), else undefined. */
export function clapAudioTower(names: Iterable<string>): string | undefined {
  let found = false;
  for (const raw of names) {
    const n = stripWrapperPrefixes(raw);
    if (!n.startsWith('audio.encoder.')) continue;
    found = true;
    if (n.startsWith('audio.encoder.vit.')) return 'a NaFlex ViT over mel-spectrogram patches';
    if (n.startsWith('audio.encoder.layers.') || n.startsWith('audio.encoder.spectrogram_extractor.')) return 'HTSAT (a Swin transformer over a log-mel spectrogram)';
    if (n.startsWith('audio.encoder.blocks.') || n.startsWith('audio.encoder.conv1.')) return 'a Whisper encoder';
  }
  return found ? 'an audio encoder' : undefined;
}

/** The probe's refusal for a CLAP checkpoint, or undefined for anything else. */
export function clapProbeRefusal(names: Iterable<string>): { code: string; message: string } | undefined {
  const tower = clapAudioTower(names);
  if (!tower) return undefined;
  return {
    code: 'probe-unsupported-architecture',
    message: `this is a CLAP (audio–text) checkpoint: its audio tower (audio.encoder.*, ${tower}) takes sound, not images, and the probe runs image–text CLIP models only`,
  };
}
