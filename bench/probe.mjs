#!/usr/bin/env node
// bench/probe: the zero-shot probe's ONNX path against PyTorch on a ViT-B/16-shaped CLIP
// checkpoint with random (distinct per tensor) weights, F32 and BF16, CPU, 2 threads each.
//   us:   graph build + ORT session create (weights hard-linked, mmapped), then
//         1 image + 8 prompts per run (median of N) and 8 images + 8 prompts per run
//   peer: Debian /usr/bin/python3 + python3-torch 1.13 (bench/probe_torch.py): weights read into
//         fp32 torch tensors ("create"), the same forward on the same dumped inputs
// Each side runs in its own process so peak RSS is its own. The peer also reports the max abs
// difference of its embeddings to ours (a numerical cross-check on real sizes).
// Checkpoints are written to bench/out/ (gitignored) once and reused.
// Usage: node bench/probe.mjs [--reps N] [--dtype F32|BF16]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PY } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const REPS = Number(opt('reps', 5));
const DTYPES = opt('dtype') ? [opt('dtype')] : ['F32', 'BF16'];

// Bundle the worker and the checkpoint writer like the CLI (onnxruntime-node stays external and
// resolves from the repo's node_modules because the bundles live under bench/out/).
const worker = join(out, 'probe-run.cjs');
const writer = join(out, 'probe-write.cjs');
await build({ entryPoints: [join(root, 'bench', 'probe-run.ts')], outfile: worker, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['onnxruntime-node'], logLevel: 'warning' });
await build({
  stdin: {
    contents: "import { vitB16Config, writeSyntheticClip } from './src/probe/syntheticCheckpoint.ts'; writeSyntheticClip(process.argv[2], vitB16Config(), { dtype: process.argv[3] }).catch((e) => { console.error(e); process.exitCode = 1; });",
    resolveDir: root,
    loader: 'ts',
  },
  outfile: writer,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (kib) => (kib / 1024).toFixed(0);

console.log(`bench/probe: ViT-B/16 CLIP (149.6 M params), CPU, 2 threads, ${REPS} timed runs; machine: ${process.platform}/${process.arch}, node ${process.version}`);
for (const dtype of DTYPES) {
  const ckpt = join(out, `clip-vit-b16-${dtype}.safetensors`);
  if (!existsSync(ckpt)) {
    const t = performance.now();
    spawnSync(process.execPath, [writer, ckpt, dtype], { stdio: 'inherit' });
    console.log(`  wrote ${ckpt} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const size = statSync(ckpt).size;
  const dump = join(out, `probe-dump-${dtype}.safetensors`);
  const us = run(process.execPath, [worker, ckpt, dump, String(REPS)]);
  const pt = run(PY, [join(root, 'bench', 'probe_torch.py'), ckpt, dump, String(REPS)]);
  const usSingle = median(us.singleMs);
  const ptSingle = median(pt.singleMs);
  const usPer = median(us.batch8Ms) / 8;
  const ptPer = median(pt.batch8Ms) / 8;
  console.log(`\n${dtype} checkpoint ${(size / 2 ** 20).toFixed(0)} MiB (weights ${us.weightsAccess})`);
  console.log(`  create        us ${us.createMs.toFixed(0).padStart(6)} ms (+ graph build ${us.buildMs.toFixed(0)} ms)   torch ${pt.createMs.toFixed(0).padStart(6)} ms   ratio us/torch ${((us.createMs + us.buildMs) / pt.createMs).toFixed(2)}`);
  console.log(`  first run     us ${us.firstRunMs.toFixed(0).padStart(6)} ms   torch ${pt.firstRunMs.toFixed(0).padStart(6)} ms`);
  console.log(`  1 img+8 txt   us ${usSingle.toFixed(0).padStart(6)} ms (best ${Math.min(...us.singleMs).toFixed(0)})   torch ${ptSingle.toFixed(0).padStart(6)} ms (best ${Math.min(...pt.singleMs).toFixed(0)})   ratio ${(usSingle / ptSingle).toFixed(2)}`);
  console.log(`  per image @8  us ${usPer.toFixed(0).padStart(6)} ms   torch ${ptPer.toFixed(0).padStart(6)} ms   ratio ${(usPer / ptPer).toFixed(2)}`);
  console.log(`  peak RSS      us ${mib(us.maxRssKiB)} MiB (${(us.maxRssKiB * 1024 / size).toFixed(2)}× file)   torch ${mib(pt.maxRssKiB)} MiB (${(pt.maxRssKiB * 1024 / size).toFixed(2)}× file)`);
  const d = pt.maxAbsDiffToOurs;
  console.log(`  torch vs us   max |Δ| image_embeds ${d.image_embeds.toExponential(2)}, text_embeds ${d.text_embeds.toExponential(2)}, logits ${d.logits_per_image.toExponential(2)} (torch ${pt.torch})`);
}
