// In-process breakdown for bench/analysis.mjs: in ONE fresh process (cold, as the CLI and the
// editor's worker run), times
//   (a) bare: read the header bytes + JSON.parse (for an index: the index and every shard header),
//   (b) openCheckpoint: our read + header parse + validation,
//   (c) analyzeCheckpoint without value reads (family/layout detection, target comparison,
//       findings, tower trees): what `inspect --json --no-values` and the editor's worker compute,
//   (d) writing that as `inspect --json` does (the pieces of src/analysis/json.ts, joined length only),
// with an untimed full GC between phases (each phase starts on a clean heap; its own garbage
// collection during the phase is timed). `--runs N` repeats it in N fresh processes and prints the
// medians and the ratios to (a). Usage:
//   node --import tsx bench/analysis-inproc.mts FILE [--target T] [--runs N] [--before OLD_CHECKOUT]
// The timed children run this script bundled by esbuild (as dist/ is built), not through tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const argv = process.argv.slice(2);
const opt = (k: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
const file = argv[0]!;
const target = opt('--target');

if (argv.includes('--child')) {
  const { analyzeCheckpoint } = await import('../src/analysis/analyze.js');
  const { inspectAnalysisJson } = await import('../src/analysis/json.js');
  const { openCheckpoint } = await import('../src/formats/open.js');
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
  const header = (f: string) => {
    const fd = openSync(f, 'r');
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, 0);
    const n = Number(b.readBigUInt64LE(0));
    const h = Buffer.alloc(n);
    readSync(fd, h, 0, n, 8);
    closeSync(fd);
    return JSON.parse(h.toString('utf8')) as Record<string, unknown>;
  };
  gc();
  let t = process.hrtime.bigint();
  let keys = 0;
  if (file.endsWith('.json')) {
    const index = JSON.parse(readFileSync(file, 'utf8')) as { weight_map: Record<string, string> };
    for (const shard of new Set(Object.values(index.weight_map))) keys += Object.keys(header(join(dirname(file), shard))).length;
  } else keys = Object.keys(header(file)).length;
  const bare = ms(t);
  gc();
  t = process.hrtime.bigint();
  const r = await openCheckpoint(file);
  if (!r.ok) throw new Error(r.error.message);
  const open = ms(t);
  gc();
  t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const a = await analyzeCheckpoint(r.value, { valueBudgetBytes: 0, ...(target ? { target } : {}) });
  if (!a.ok) throw new Error(a.error.message);
  const analysis = ms(t);
  // CPU time of the process during (c) (all threads, the GC's helpers included): less moved by other jobs than wall time.
  const c1 = process.cpuUsage(c0);
  const analysisCpu = (c1.user + c1.system) / 1000;
  gc();
  t = process.hrtime.bigint();
  let chars = 0;
  for (const piece of inspectAnalysisJson(r.value, a.value)) chars += piece.length;
  const write = ms(t);
  const v = a.value;
  console.log(JSON.stringify({ bare, open, analysis, analysisCpu, write, keys, chars, family: v.architecture.family, missing: v.missing.length, unexpected: v.unexpected.length, findings: v.findings.map((f) => f.code) }));
} else {
  const runs = Number(opt('--runs') ?? 5) || 5;
  // --before DIR: a checkout of another version (with its node_modules or a link to them): this
  // script is bundled against its src/ alike (copied to DIR/bench/.analysis-inproc-ab.mts), and
  // its fresh processes alternate with ours.
  const beforeDir = opt('--before');
  const tmp = mkdtempSync(join(tmpdir(), 'ckl-bench-inproc-'));
  const { build } = await import('esbuild');
  const bundleOf = async (entry: string, outfile: string) => {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    return outfile;
  };
  const builds = [{ label: beforeDir ? 'after' : '', bundle: await bundleOf(import.meta.filename, join(tmp, 'child.mjs')), out: [] as Record<string, number>[], last: {} as Record<string, unknown> }];
  if (beforeDir) {
    const copy = join(beforeDir, 'bench', '.analysis-inproc-ab.mts');
    copyFileSync(import.meta.filename, copy);
    builds.push({ label: 'before', bundle: await bundleOf(copy, join(tmp, 'child-before.mjs')), out: [], last: {} });
    rmSync(copy);
  }
  for (let i = 0; i < runs; i++) {
    for (const b of i % 2 ? [...builds].reverse() : builds) {
      const r = spawnSync(process.execPath, ['--expose-gc', b.bundle, file, '--child', ...(target ? ['--target', target] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(r.stderr);
      b.last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      b.out.push(b.last as Record<string, number>);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const cpu = (b: (typeof builds)[number], k: string) => {
    const xs = b.out.map((o) => o[k]!).sort((x, y) => x - y);
    return xs[Math.floor(xs.length / 2)]!;
  };
  for (const b of builds) {
    const med = (k: string) => cpu(b, k);
    const last = b.last;
    const [a, bb, c, d] = [med('bare'), med('open'), med('analysis'), med('write')];
    const x = (v: number) => `${(v / a).toFixed(2)}×`;
    console.log(`${b.label ? `${b.label}: ` : ''}in-process, medians of ${runs} fresh processes (ms): (a) bare read+JSON.parse ${a.toFixed(0)} | (b) openCheckpoint ${bb.toFixed(0)} (${x(bb)}) | (c) analysis, no values ${c.toFixed(0)} (${x(c)}) | (b)+(c) ${x(bb + c)} | (d) writing the inspect --json document ${d.toFixed(0)} (${x(d)}, ${(Number(last.chars) / 1e6).toFixed(1)} MB)`);
    console.log(`  ${last.keys} header keys; family ${last.family}, ${last.missing} missing, ${last.unexpected} unexpected; findings ${(last.findings as string[]).join(', ')}`);
  }
  if (builds.length === 2) {
    // Per pair of alternating processes, (c)/(a) of each: the machine's load moves both alike.
    const ratio = (b: (typeof builds)[number]) => b.out.map((o) => o.analysis! / o.bare!).sort((x, y) => x - y)[Math.floor(runs / 2)]!;
    console.log(`(c)/(a) medians: after ${ratio(builds[0]!).toFixed(2)}×, before ${ratio(builds[1]!).toFixed(2)}×; analysis after/before: wall ${(cpu(builds[0]!, 'analysis') / cpu(builds[1]!, 'analysis')).toFixed(2)}, CPU time ${cpu(builds[0]!, 'analysisCpu').toFixed(0)} / ${cpu(builds[1]!, 'analysisCpu').toFixed(0)} ms = ${(cpu(builds[0]!, 'analysisCpu') / cpu(builds[1]!, 'analysisCpu')).toFixed(2)}`);
  }
}
