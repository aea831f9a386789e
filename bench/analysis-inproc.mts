// In-process breakdown for bench/analysis.mjs: open + the foundation's header-only document vs the
// same plus analyzeCheckpoint (header-only, then with value reads). Prints one JSON line.
import { analyzeCheckpoint } from '../src/analysis/analyze.js';
import { inspectDocument } from '../src/core/summary.js';
import { openCheckpoint } from '../src/formats/open.js';

const [file, target] = process.argv.slice(2);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const runs = 3;
const res: Record<string, number[]> = { open: [], document: [], analysisHeaderOnly: [], analysisWithValues: [] };
let summary = {};
for (let i = 0; i < runs; i++) {
  let t = process.hrtime.bigint();
  const r = await openCheckpoint(file!);
  if (!r.ok) throw new Error(r.error.message);
  res.open!.push(ms(t));
  t = process.hrtime.bigint();
  JSON.stringify(inspectDocument(r.value));
  res.document!.push(ms(t));
  t = process.hrtime.bigint();
  const a = await analyzeCheckpoint(r.value, { valueBudgetBytes: 0, ...(target ? { target } : {}) });
  if (!a.ok) throw new Error(a.error.message);
  JSON.stringify(a.value);
  res.analysisHeaderOnly!.push(ms(t));
  t = process.hrtime.bigint();
  const b = await analyzeCheckpoint(r.value, target ? { target } : {});
  if (!b.ok) throw new Error(b.error.message);
  JSON.stringify(b.value);
  res.analysisWithValues!.push(ms(t));
  summary = { family: b.value.architecture.family, missing: b.value.missing.length, unexpected: b.value.unexpected.length, findings: b.value.findings.map((f) => f.code), bytesRead: b.value.values.bytesRead };
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({ ...Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Math.round(med(v))])), ...summary }));
