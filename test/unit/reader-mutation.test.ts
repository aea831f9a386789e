/**
 * Randomised mutation test: thousands of mutated headers and length prefixes. The reader must
 * always return a Result (never throw), every problem must carry a code, every tensor it accepts
 * must lie inside the file, and memory must stay bounded.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { readSafetensorsFile } from '../../src/formats/safetensors/single.js';
import { tempDir } from '../helpers/tmp.js';
import { xorshift32 } from '../../src/core/random.js';

const CASES = Number(process.env.CKL_MUTATION_CASES ?? 5000);

const base = {
  __metadata__: { format: 'pt', note: 'ok' },
  'visual.proj': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] },
  'visual.class_embedding': { dtype: 'BF16', shape: [4], data_offsets: [32, 40] },
  logit_scale: { dtype: 'F32', shape: [], data_offsets: [40, 44] },
  packed: { dtype: 'F4', shape: [8], data_offsets: [44, 48] },
};
const INTERESTING = ['0', '-1', '1e400', '9007199254740993', '18446744073709551616', '[]', '{}', 'null', '"x"', '\\u0000', '\uD800', '[[[[[[[[', '"F8_E4M3"', '"C64"', '"__metadata__"', ',', ':', '"'];

it(`${CASES} mutated files never crash, hang or over-allocate`, { timeout: 300_000 }, async () => {
  const dir = tempDir('ckl-mut-');
  const path = join(dir, 'm.safetensors');
  const rnd = xorshift32(12345);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const rssStart = process.memoryUsage().rss;
  const codes = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    let h = JSON.stringify(base);
    const mutations = 1 + Math.floor(rnd() * 3);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(rnd() * h.length);
      switch (Math.floor(rnd() * 5)) {
        case 0: // replace one char
          h = h.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + h.slice(at + 1);
          break;
        case 1: // delete a span
          h = h.slice(0, at) + h.slice(at + 1 + Math.floor(rnd() * 8));
          break;
        case 2: // insert an interesting token
          h = h.slice(0, at) + pick(INTERESTING) + h.slice(at);
          break;
        case 3: // replace a number
          h = h.replace(/\d+/, () => pick(INTERESTING));
          break;
        default: // duplicate a span
          h = h.slice(0, at) + h.slice(at, at + 20) + h.slice(at);
      }
    }
    const header = Buffer.from(h, 'utf8');
    const prefix = Buffer.alloc(8);
    const r = rnd();
    const len = r < 0.9 ? BigInt(header.length) : r < 0.95 ? BigInt(Math.floor(rnd() * 2 ** 48)) : BigInt(Math.max(0, header.length - Math.floor(rnd() * 10)));
    prefix.writeBigUInt64LE(len);
    const dataLen = rnd() < 0.8 ? 48 : Math.floor(rnd() * 64);
    const bytes = Buffer.concat([prefix, header, Buffer.alloc(dataLen)]);
    writeFileSync(path, rnd() < 0.02 ? bytes.subarray(0, Math.floor(rnd() * bytes.length)) : bytes);

    const res = await readSafetensorsFile(path); // must not throw
    if (!res.ok) {
      assert.match(res.error.code, /^[a-z0-9-]+$/);
      codes.set(res.error.code, (codes.get(res.error.code) ?? 0) + 1);
      continue;
    }
    const f = res.value;
    for (const p of f.problems) {
      assert.match(p.code, /^[a-z0-9-]+$/);
      assert.ok(['error', 'warning', 'info'].includes(p.severity));
      codes.set(p.code, (codes.get(p.code) ?? 0) + 1);
    }
    for (const t of f.tensors) {
      assert.equal(t.data.kind, 'contiguous');
      if (t.data.kind === 'contiguous') {
        assert.ok(t.data.offset >= f.dataStart && t.data.offset + t.data.length <= f.size, `tensor ${t.name} escapes the file`);
        assert.ok(Number.isSafeInteger(t.elementCount) && Number.isSafeInteger(t.byteLength));
      }
    }
  }
  const growth = process.memoryUsage().rss - rssStart;
  assert.ok(growth < 256 * 1024 * 1024, `RSS grew by ${growth} bytes`);
  // The mutations must actually exercise many distinct error paths.
  assert.ok(codes.size >= 10, `only ${codes.size} distinct codes: ${[...codes.keys()].join(', ')}`);
});
