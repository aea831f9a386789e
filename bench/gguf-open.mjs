// bench/gguf-open: opening a llama-3-8B-shaped Q4_K GGUF (128,256-token vocabulary, 280,000 merges,
// 291 tensors, ~4.6 GB sparse data): checkpoint-lens vs gguf-py's GGUFReader (llama.cpp's own
// Python reader), in the same run. Both as fresh processes (start-up included) and in-process
// (the reader alone). The peer is skipped when no python with `gguf` is found.
// Usage: node bench/gguf-open.mjs [--runs N] [--python /opt/venv-gguf/bin/python] [--keep]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, table, PY } from './lib.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', 5)) || 5;
const dir = join(tmpdir(), 'ckl-bench-gguf');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'llama3-8b-q4k.gguf');

// --- a GGUF header writer (only what this file needs) ---
const chunks = [];
let size = 0;
const push = (b) => (chunks.push(b), (size += b.length));
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); push(b); };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); push(b); };
const str = (s) => { const b = Buffer.from(s); u64(b.length); push(b); };
const T = { u32: 4, f32: 6, string: 8, array: 9, i32: 5 };
const kv = [];
const kvU32 = (k, v) => kv.push(() => { str(k); u32(T.u32); u32(v); });
const kvStr = (k, v) => kv.push(() => { str(k); u32(T.string); str(v); });
const kvArr = (k, type, items, write) => kv.push(() => { str(k); u32(T.array); u32(T[type]); u64(items.length); for (const x of items) write(x); });

const D = 4096, F = 14336, L = 32, V = 128256, KV = 1024;
kvStr('general.architecture', 'llama');
kvStr('general.name', 'bench llama 3 8B');
kvU32('llama.context_length', 8192);
kvU32('llama.embedding_length', D);
kvU32('llama.block_count', L);
kvU32('llama.feed_forward_length', F);
kvU32('llama.attention.head_count', 32);
kvU32('llama.attention.head_count_kv', 8);
kvU32('general.file_type', 15);
kvStr('tokenizer.ggml.model', 'gpt2');
kvArr('tokenizer.ggml.tokens', 'string', Array.from({ length: V }, (_, i) => `tok_${i.toString(36)}`), str);
kvArr('tokenizer.ggml.token_type', 'i32', Array.from({ length: V }, (_, i) => (i >= 128000 ? 3 : 1)), (x) => u32(x));
kvArr('tokenizer.ggml.merges', 'string', Array.from({ length: 280147 }, (_, i) => `m${i % 977} n${i}`), str);
kvU32('tokenizer.ggml.bos_token_id', 128000);
kvU32('tokenizer.ggml.eos_token_id', 128009);
kvStr('tokenizer.chat_template', '{% for m in messages %}{{ m.content }}{% endfor %}'.repeat(20));

const Q4_K = 12, Q6_K = 14, F32 = 0;
const tensors = [['token_embd.weight', [D, V], Q4_K]];
for (let i = 0; i < L; i++) {
  for (const [n, ne, t] of [['attn_norm.weight', [D], F32], ['attn_q.weight', [D, D], Q4_K], ['attn_k.weight', [D, KV], Q4_K], ['attn_v.weight', [D, KV], Q6_K], ['attn_output.weight', [D, D], Q4_K], ['ffn_norm.weight', [D], F32], ['ffn_gate.weight', [D, F], Q4_K], ['ffn_up.weight', [D, F], Q4_K], ['ffn_down.weight', [F, D], Q6_K]]) {
    tensors.push([`blk.${i}.${n}`, ne, t]);
  }
}
tensors.push(['output_norm.weight', [D], F32], ['output.weight', [D, V], Q6_K]);
const bytesOf = (ne, t) => { const n = ne.reduce((a, b) => a * b, 1); return t === F32 ? n * 4 : t === Q4_K ? (n / 256) * 144 : (n / 256) * 210; };

push(Buffer.from('GGUF'));
u32(3);
u64(tensors.length);
u64(kv.length);
for (const w of kv) w();
let off = 0;
for (const [n, ne, t] of tensors) {
  str(n); u32(ne.length); for (const d of ne) u64(d); u32(t); u64(off);
  off += Math.ceil(bytesOf(ne, t) / 32) * 32;
}
const dataStart = Math.ceil(size / 32) * 32;
const fd = openSync(file, 'w');
writeSync(fd, Buffer.concat(chunks));
ftruncateSync(fd, dataStart + off);
closeSync(fd);
console.log(`file: ${file}: ${tensors.length} tensors, header ${(dataStart / 2 ** 20).toFixed(1)} MiB, ${((dataStart + off) / 1e9).toFixed(2)} GB (sparse)`);

// --- the peer: gguf-py ---
const candidates = [arg('--python'), '/opt/venv-gguf/bin/python', PY, 'python3'].filter(Boolean);
const python = candidates.find((p) => spawnSync(p, ['-c', 'import gguf'], { stdio: 'ignore' }).status === 0);
const peer = join(dir, 'gguf_py_open.py');
writeFileSync(peer, `import sys, time, json
t0 = time.perf_counter()
import gguf
t1 = time.perf_counter()
ms = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
    s = time.perf_counter()
    r = gguf.GGUFReader(sys.argv[1])
    n = len(r.tensors)
    ms.append((time.perf_counter() - s) * 1000)
ms.sort()
print(json.dumps({"ms": ms[len(ms) // 2], "import_ms": (t1 - t0) * 1000, "tensors": n}))
`);

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average before: ${load()}`);
const ours = { name: 'checkpoint-lens inspect --json --header-only', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--header-only', file], opts: { stdio: ['ignore', 'ignore', 'pipe'] } };
const oursFull = { name: 'checkpoint-lens inspect --json (GGUF understanding)', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', file], opts: { stdio: ['ignore', 'ignore', 'pipe'], okCodes: [0, 1] } };
const py = python ? { name: 'gguf-py GGUFReader (fresh python)', cmd: python, args: [peer, file, '1'] } : undefined;
const rows = compare([ours, oursFull, ...(py ? [py] : [])], runs);
table(rows, ours.name);

// In-process: the reader alone, no start-up, median of `runs` opens in one process each.
const inproc = JSON.parse(spawnSync(process.execPath, ['--import', 'tsx', 'bench/gguf-open-inproc.mts', file, String(runs)], { encoding: 'utf8' }).stdout);
console.log(`\nin-process open: checkpoint-lens ${inproc.ms.toFixed(1)} ms (${inproc.tensors} tensors)`);
if (python) {
  // gguf-py takes tens of seconds on a large vocabulary: at most 2 in-process opens.
  const out = spawnSync(python, [peer, file, String(Math.min(runs, 2))], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`gguf-py failed: ${out.stderr.slice(-500)}`);
  const p = JSON.parse(out.stdout);
  console.log(`in-process open: gguf-py GGUFReader ${p.ms.toFixed(1)} ms (${p.tensors} tensors; its import takes ${p.import_ms.toFixed(0)} ms more)`);
  console.log(`\nratios (ours / gguf-py): fresh process ${(rows[0].ms / rows[2].ms).toFixed(2)}, in-process ${(inproc.ms / p.ms).toFixed(2)}`);
} else {
  console.log('gguf-py not found (pip install gguf, or pass --python PATH): peer skipped');
}
console.log(`load average after: ${load()}`);
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
