// In-process open time of the GGUF reader (called by bench/gguf-open.mjs): prints {"ms": median of N, "tensors": n}.
import { openCheckpoint } from '../src/formats/open.js';

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const ms: number[] = [];
let tensors = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const r = await openCheckpoint(file!);
  ms.push(performance.now() - t0);
  if (!r.ok) throw new Error(r.error.message);
  tensors = r.value.tensors.length;
}
ms.sort((a, b) => a - b);
console.log(JSON.stringify({ ms: ms[Math.floor(ms.length / 2)], tensors }));
