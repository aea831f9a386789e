#!/usr/bin/env node
// bench/convert: memory stays bounded while `checkpoint-lens convert` rewrites a ~10 GB checkpoint.
//   input: a sparse (no disk used) open_clip ViT-bigG-14 F32 file, 10.2 GB; --to hf (q/k/v split,
//   projection transposes, every byte read and written), output deleted after each run.
//   peer, same run, on a smaller file (ViT-L-14 F32, 1.7 GB) that the peer can hold in memory:
//   Python `safetensors.torch.load_file` + `save_file` (load + save, the usual way to rewrite a
//   checkpoint), against us converting the same file. Peak RSS from /usr/bin/time.
// The peer is not run on the 10 GB file by default: it needs the whole file (and more) in memory
// (pass --peer-big to try, on a machine with > 24 GB free).
// Usage: node bench/convert.mjs [--model ViT-bigG-14] [--peer-model ViT-L-14] [--reps N] [--peer-big]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed, writeSparseSafetensors } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const MODEL = opt('model', 'ViT-bigG-14');
const PEER_MODEL = opt('peer-model', 'ViT-L-14');
const REPS = Number(opt('reps', 1));
const PEER_PY = process.env.CHECKPOINT_LENS_PYTHON ?? '/opt/venv-convert/bin/python';
const dir = mkdtempSync(join(tmpdir(), 'ckl-bench-convert-'));

try {
  // The convert command alone, bundled like the CLI; `specs NAME` prints a configuration's open_clip tensors.
  const runner = join(dir, 'convert-runner.cjs');
  await build({
    stdin: {
      contents: `import { convertCommand } from './src/cli/commands/convert.ts';
import { expectedLayout } from './src/layouts/expected.ts';
import { clipConfig } from './src/layouts/configs.ts';
const a = process.argv.slice(2);
if (a[0] === 'specs') process.stdout.write(JSON.stringify(expectedLayout('openai-clip', clipConfig(a[1])).map((s) => [s.name, s.shape, s.dtype ?? 'F32'])));
else convertCommand.run(a).then((c) => { process.exitCode = c; });`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: runner,
    logLevel: 'warning',
  });
  const sparse = (model) => {
    const file = join(dir, `${model}.safetensors`);
    const specs = JSON.parse(timed(process.execPath, [runner, 'specs', model]).stdout);
    const info = writeSparseSafetensors(file, specs);
    return { file, ...info };
  };
  const ours = (file, label) => {
    const out = join(dir, `out-${label}`);
    const rows = [];
    for (let i = 0; i < REPS; i++) {
      rmSync(out, { recursive: true, force: true });
      rows.push(timed(process.execPath, [runner, file, '--to', 'hf', '-o', out]));
      rmSync(out, { recursive: true, force: true });
    }
    return best(rows);
  };
  const best = (rows) => ({ ms: Math.min(...rows.map((r) => r.ms)), rssMiB: Math.max(...rows.map((r) => r.rssKiB ?? 0)) / 1024 });
  const peerOk = existsSync(PEER_PY) && spawnSync(PEER_PY, ['-c', 'import safetensors.torch']).status === 0;
  const peer = (file) => {
    const out = join(dir, 'peer.safetensors');
    const rows = [];
    for (let i = 0; i < REPS; i++) {
      rows.push(timed(PEER_PY, ['-c', 'import sys; from safetensors.torch import load_file, save_file; save_file(load_file(sys.argv[1]), sys.argv[2], metadata={"format": "pt"})', file, out]));
      rmSync(out, { force: true });
    }
    return best(rows);
  };
  const line = (name, r, base) => console.log(`${name.padEnd(52)} ${(r.ms / 1000).toFixed(1).padStart(7)} s  peak RSS ${r.rssMiB.toFixed(0).padStart(6)} MiB${base ? `  RSS ×${(r.rssMiB / base.rssMiB).toFixed(2)}, time ×${(r.ms / base.ms).toFixed(2)} vs ${base.name}` : ''}`);

  const big = sparse(MODEL);
  console.log(`input: open_clip ${MODEL} F32, ${big.tensors} tensors, ${big.dataGB.toFixed(2)} GB (sparse); --to hf`);
  const small = sparse(PEER_MODEL);
  console.log(`peer-size input: open_clip ${PEER_MODEL} F32, ${small.tensors} tensors, ${small.dataGB.toFixed(2)} GB (sparse)`);
  const oSmall = { name: `checkpoint-lens convert (${PEER_MODEL})`, ...ours(small.file, 'small') };
  const oBig = { name: `checkpoint-lens convert (${MODEL})`, ...ours(big.file, 'big') };
  if (peerOk) {
    const pSmall = { name: `python safetensors load_file+save_file (${PEER_MODEL})`, ...peer(small.file) };
    line(pSmall.name, pSmall);
    line(oSmall.name, oSmall, pSmall);
    if (argv.includes('--peer-big')) {
      const pBig = { name: `python safetensors load_file+save_file (${MODEL})`, ...peer(big.file) };
      line(pBig.name, pBig);
      line(oBig.name, oBig, pBig);
    } else line(oBig.name, oBig, oSmall);
  } else {
    console.log(`peer skipped: no Python with safetensors at ${PEER_PY} (set CHECKPOINT_LENS_PYTHON)`);
    line(oSmall.name, oSmall);
    line(oBig.name, oBig, oSmall);
  }
  console.log(`input size ratio ${MODEL}/${PEER_MODEL}: ×${(big.dataGB / small.dataGB).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
