// bench/probe worker (bundled by bench/probe.mjs): opens the checkpoint, builds the ONNX graph,
// creates a CPU session, then times 1 image + 8 prompts per run and 8 images + 8 prompts per run.
// Prints one JSON line. Writes its inputs and outputs with --dump so the PyTorch peer can run the
// very same tensors and the bench can compare numbers as well as speed.
import { openCheckpoint } from '../src/formats/open.js';
import { openEngine } from '../src/probe/engine.js';
import { writeDump } from '../src/probe/probeInputs.js';
import { BUILTIN_CLASSES, builtinPromptIds } from '../src/probe/probeSet.js';
import { cropAndNormalize } from '../src/probe/images.js';

const [file, dumpPath, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);

async function main(): Promise<void> {
  const t0 = performance.now();
  const ck = await openCheckpoint(file!);
  if (!ck.ok) throw new Error(ck.error.message);
  const er = await openEngine(ck.value, { provider: 'cpu', threads: 2, activation: { value: 'quickgelu', source: 'bench' } });
  if (!er.ok) throw new Error(`${er.error.code}: ${er.error.message}`);
  const e = er.engine;
  const openMs = performance.now() - t0;
  const S = e.config.vision.imageSize;
  const L = e.config.text.contextLength;
  const n = 8;
  const m = 8;
  const pixels = new Float32Array(n * 3 * S * S);
  for (let i = 0; i < n; i++) pixels.set(cropAndNormalize({ width: S, height: S, data: BUILTIN_CLASSES[i]!.draw(S, 0) }, S), i * 3 * S * S);
  const ids = new BigInt64Array(m * L);
  for (let j = 0; j < m; j++) {
    const row = [49406, ...builtinPromptIds(BUILTIN_CLASSES[j]!.prompt)!, 49407];
    row.forEach((id, k) => (ids[j * L + k] = BigInt(id)));
  }
  const one = pixels.subarray(0, 3 * S * S);
  const tw = performance.now();
  await e.run(one, 1, ids, m);
  const firstRunMs = performance.now() - tw;
  const single: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await e.run(one, 1, ids, m);
    single.push(performance.now() - t);
  }
  const batch: number[] = [];
  let out = await e.run(pixels, n, ids, m);
  for (let r = 0; r < 2; r++) {
    const t = performance.now();
    out = await e.run(pixels, n, ids, m);
    batch.push(performance.now() - t);
  }
  if (dumpPath) {
    await writeDump(dumpPath, { pixelValues: pixels, n, imageSize: S, inputIds: ids, m, contextLength: L, ...out, embedDim: e.config.embedDim }, { producer: 'bench/probe' });
  }
  const res = {
    buildMs: e.timings.buildMs,
    createMs: e.timings.createMs,
    openMs,
    weightsAccess: e.weightsAccess,
    firstRunMs,
    singleMs: single,
    batch8Ms: batch,
    maxRssKiB: process.resourceUsage().maxRSS,
  };
  await e.close();
  process.stdout.write(JSON.stringify(res) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
