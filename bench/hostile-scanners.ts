/**
 * Runs the hostile corpus (test/corpus/build.ts) — and the shared peer suites when present —
 * through Checkpoint Lens, picklescan and torch.load(weights_only=True), and reports where we
 * flag more or less than they do, per expected kind.
 *
 *   node --import tsx bench/hostile-scanners.ts [--peer] [--python /opt/venv-hostile/bin/python]
 *
 * "flags" means: for us, pickle-code-execution-attempt or pickle-unsafe-global; for picklescan,
 * a dangerous global; for weights_only, refusing the file for an unsupported global. "refuses"
 * means any non-zero answer (our exit code ≠ 0, picklescan scan error, torch.load raising).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCorpus } from '../test/corpus/build.js';
import { runCorpus } from '../test/corpus/corpusRunner.js';

interface Entry {
  path: string;
  kind: string;
}
interface Peer {
  path: string;
  picklescan: string;
  weights_only: string;
  sentinel: boolean;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const python = args.includes('--python') ? args[args.indexOf('--python') + 1]! : '/opt/venv-hostile/bin/python';
  const repoRoot = resolve(__dirname, '..');
  const shared = process.env.CHECKPOINT_LENS_SHARED ?? resolve(repoRoot, '..', 'shared');
  const dir = mkdtempSync(join(tmpdir(), 'ckl-bench-hostile-'));
  try {
    const sets: Array<[string, Entry[]]> = [['own corpus', buildCorpus(dir, join(repoRoot, 'test/fixtures/pytorch')).map((e) => ({ path: join(dir, e.file), kind: e.kind }))]];
    const peer = join(shared, 'data/peer-suites');
    if (args.includes('--peer') && existsSync(join(peer, 'manifest.json'))) {
      const m = JSON.parse(readFileSync(join(peer, 'manifest.json'), 'utf8')) as Array<{ file: string; kind: string }>;
      sets.push(['peer suites', m.map((e) => ({ path: join(peer, e.file), kind: e.kind }))]);
    }
    for (const [label, entries] of sets) {
      const t0 = Date.now();
      const ours = await runCorpus(entries.map((e) => e.path));
      const oursMs = Date.now() - t0;
      const t1 = Date.now();
      const r = spawnSync(python, [join(repoRoot, 'bench/hostile_scanners.py')], { input: JSON.stringify(entries.map((e) => e.path)), encoding: 'utf8', maxBuffer: 256 << 20, cwd: dir });
      const peersMs = Date.now() - t1;
      if (r.status !== 0) throw new Error(`peer scanners failed: ${r.stderr.slice(-1000)}`);
      const peers = new Map(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Peer).map((p) => [p.path, p]));
      report(label, entries, ours, peers, oursMs, peersMs);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(label: string, entries: Entry[], ours: Awaited<ReturnType<typeof runCorpus>>, peers: Map<string, Peer>, oursMs: number, peersMs: number): void {
  console.log(`\n## ${label}: ${entries.length} files (ours ${(oursMs / 1000).toFixed(1)} s incl. value reads; picklescan + weights_only ${(peersMs / 1000).toFixed(1)} s)`);
  console.log(`sentinels: ours ${ours.sentinels.length}, peers ${[...peers.values()].filter((p) => p.sentinel).length}; hangs: ours ${ours.hangs.length}`);
  console.log('| kind | n | ours flags | ours refuses | picklescan flags | weights_only refuses (unsafe) | weights_only refuses (any) |');
  console.log('|---|---|---|---|---|---|---|');
  const kinds = [...new Set(entries.map((e) => e.kind))];
  const moreThan: Record<string, string[]> = { picklescan: [], weights_only: [] };
  const lessThan: Record<string, string[]> = { picklescan: [], weights_only: [] };
  for (const k of kinds) {
    const es = entries.filter((e) => e.kind === k);
    let of = 0;
    let orf = 0;
    let pf = 0;
    let wu = 0;
    let wa = 0;
    for (const e of es) {
      const o = ours.outcomes.get(e.path);
      const p = peers.get(e.path);
      const flag = !!o && (o.codes.includes('pickle-code-execution-attempt') || o.codes.includes('pickle-unsafe-global'));
      const refuse = !o || o.exit !== 0;
      if (flag) of++;
      if (refuse) orf++;
      if (p?.picklescan === 'flagged') pf++;
      if (p?.weights_only === 'refused-unsafe') wu++;
      if (p && p.weights_only !== 'loaded') wa++;
      if (k === 'malicious' || k === 'benign') {
        const name = e.path.split('/').slice(-2).join('/');
        if (flag && p?.picklescan !== 'flagged') moreThan.picklescan!.push(`${k} ${name}`);
        if (!flag && p?.picklescan === 'flagged') lessThan.picklescan!.push(`${k} ${name}`);
        if (flag && p?.weights_only !== 'refused-unsafe') moreThan.weights_only!.push(`${k} ${name}`);
        if (!flag && p?.weights_only === 'refused-unsafe') lessThan.weights_only!.push(`${k} ${name}`);
      }
    }
    console.log(`| ${k} | ${es.length} | ${of} | ${orf} | ${pf} | ${wu} | ${wa} |`);
  }
  for (const peer of ['picklescan', 'weights_only']) {
    console.log(`\nwe flag, ${peer} does not (malicious/benign): ${moreThan[peer]!.length}`);
    for (const x of moreThan[peer]!.slice(0, 25)) console.log(`  ${x}`);
    console.log(`${peer} flags, we do not (malicious/benign): ${lessThan[peer]!.length}`);
    for (const x of lessThan[peer]!.slice(0, 25)) console.log(`  ${x}`);
  }
}

void main();
