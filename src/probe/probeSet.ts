import { BUILTIN_PROMPT_IDS } from './probeSetTokens.js';
import { seededRandom } from '../core/random.js';

/**
 * The built-in probe set, generated in code (no downloads, identical on every machine): solid
 * colour fields with texture, black shapes on white, and two patterns. Each class has a prompt a
 * real CLIP matches easily; a healthy model should be far above chance here (hypothesis: ≥ 70 %
 * top-1 for OpenAI ViT-B/16; not yet measured on real weights), a random text tower sits at chance.
 */
export interface ProbeClass {
  readonly label: string;
  readonly prompt: string;
  /** Draws image `variant` as RGB bytes, row-major [size, size, 3]. */
  readonly draw: (size: number, variant: number) => Uint8Array;
}

export const IMAGES_PER_CLASS = 3;

/** The built-in set's name, as reports show it. */
export const BUILTIN_SET_NAME = 'built-in probe set (colour fields, shapes, patterns; generated, no download)';

type RGB = readonly [number, number, number];

const rng = seededRandom;

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function colourField(rgb: RGB, key: number) {
  return (size: number, variant: number): Uint8Array => {
    const r = rng(key * 97 + variant + 1);
    const jitter = [r() * 30 - 15, r() * 30 - 15, r() * 30 - 15];
    const noise = 4 + variant * 6;
    const out = new Uint8Array(size * size * 3);
    for (let i = 0; i < size * size; i++) {
      const n = (r() - 0.5) * noise;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = clamp(rgb[c]! + jitter[c]! + n);
    }
    return out;
  };
}

/** Renders `inside(x, y)` (coordinates in [-1, 1]) black on white, 2×2 supersampled. */
function shape(key: number, inside: (x: number, y: number) => boolean) {
  return (size: number, variant: number): Uint8Array => {
    const r = rng(key * 131 + variant + 7);
    const scale = 0.55 + r() * 0.3;
    const cx = (r() - 0.5) * 0.3;
    const cy = (r() - 0.5) * 0.3;
    const out = new Uint8Array(size * size * 3);
    for (let py = 0; py < size; py++)
      for (let px = 0; px < size; px++) {
        let hits = 0;
        for (let sy = 0; sy < 2; sy++)
          for (let sx = 0; sx < 2; sx++) {
            const x = ((px + 0.25 + sx * 0.5) / size) * 2 - 1;
            const y = ((py + 0.25 + sy * 0.5) / size) * 2 - 1;
            if (inside((x - cx) / scale, (y - cy) / scale)) hits++;
          }
        const v = 255 - (hits / 4) * 235;
        out.fill(clamp(v), (py * size + px) * 3, (py * size + px) * 3 + 3);
      }
    return out;
  };
}

function pattern(key: number, value: (x: number, y: number, period: number) => boolean) {
  return (size: number, variant: number): Uint8Array => {
    const period = Math.max(2, Math.round(size / (6 + variant * 2)));
    const out = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.fill(value(x, y, period) ? 20 : 235, (y * size + x) * 3, (y * size + x) * 3 + 3);
    void key;
    return out;
  };
}

function inPolygon(pts: readonly (readonly [number, number])[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]!;
    const [xj, yj] = pts[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const STAR = Array.from({ length: 10 }, (_, k) => {
  const a = -Math.PI / 2 + (k * Math.PI) / 5;
  const rad = k % 2 === 0 ? 1 : 0.4;
  return [rad * Math.cos(a), rad * Math.sin(a)] as const;
});
const TRIANGLE = [
  [0, -1],
  [0.95, 0.75],
  [-0.95, 0.75],
] as const;

const COLOURS: [string, RGB][] = [
  ['red', [220, 30, 30]],
  ['green', [30, 170, 50]],
  ['blue', [30, 60, 220]],
  ['yellow', [240, 220, 30]],
  ['orange', [245, 140, 20]],
  ['purple', [130, 40, 170]],
  ['black', [15, 15, 15]],
  ['white', [245, 245, 245]],
];

const CLASS_DEFS: { label: string; prompt: string; draw: ProbeClass['draw'] }[] = [
  ...COLOURS.map(([label, rgb], i) => ({ label, prompt: `a plain ${label} color`, draw: colourField(rgb, i) })),
  { label: 'circle', prompt: 'a black circle on a white background', draw: shape(1, (x, y) => x * x + y * y <= 1) },
  { label: 'square', prompt: 'a black square on a white background', draw: shape(2, (x, y) => Math.abs(x) <= 0.85 && Math.abs(y) <= 0.85) },
  { label: 'triangle', prompt: 'a black triangle on a white background', draw: shape(3, (x, y) => inPolygon(TRIANGLE, x, y)) },
  { label: 'star', prompt: 'a black star on a white background', draw: shape(4, (x, y) => inPolygon(STAR, x, y)) },
  { label: 'checkerboard', prompt: 'a black and white checkerboard pattern', draw: pattern(5, (x, y, p) => (Math.floor(x / p) + Math.floor(y / p)) % 2 === 0) },
  { label: 'stripes', prompt: 'black and white horizontal stripes', draw: pattern(6, (_x, y, p) => Math.floor(y / p) % 2 === 0) },
];

export const BUILTIN_CLASSES: readonly ProbeClass[] = CLASS_DEFS;

/**
 * The prompts' token ids (without SOT/EOT), pre-tokenised so the built-in probe runs without a
 * vocabulary file; a test re-tokenises them from the CLIP BPE file and must agree.
 */
export function builtinPromptIds(prompt: string): readonly number[] | undefined {
  return BUILTIN_PROMPT_IDS[prompt];
}
