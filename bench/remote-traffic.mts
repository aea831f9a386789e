/**
 * Remote traffic (bytes and requests, no timings) against the loopback Hub stand-in of the tests:
 * a 11.7 GB single file (ViT-L-14 header + one 10 GB tensor), a 200-shard index, and the value
 * checks of a ViT-B-16 image tower. Run: node --import tsx bench/remote-traffic.mts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, sparseFile, safetensorsHead, bytesFile, type VirtualFile } from '../test/helpers/hubServer.ts';
import { clipTensorSpecs } from '../test/helpers/clipFixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ckl-traffic-'));
const hub = await startHub();
process.env.HF_ENDPOINT = hub.endpoint;
process.env.CHECKPOINT_LENS_CACHE_DIR = '';
const big = safetensorsHead([...clipTensorSpecs('openai-clip', 'ViT-L-14'), { name: 'extra.huge', shape: [50_000, 50_000] }]);
hub.repos.set('big/ten-gb', { sha: 'a'.repeat(40), files: { 'model.safetensors': sparseFile(big.head, big.size) } });
const files: Record<string, VirtualFile> = {};
const wm: Record<string, string> = {};
const layer = clipTensorSpecs('openai-clip', 'ViT-L-14').slice(0, 30);
for (let i = 1; i <= 200; i++) {
  const n = `model-${String(i).padStart(5, '0')}-of-00200.safetensors`;
  const specs = layer.map((s) => ({ ...s, name: `l${i}.${s.name}` }));
  for (const s of specs) wm[s.name] = n;
  const h = safetensorsHead(specs);
  files[n] = sparseFile(h.head, h.size);
}
files['model.safetensors.index.json'] = bytesFile(Buffer.from(JSON.stringify({ weight_map: wm })));
hub.repos.set('org/s200', { sha: 'b'.repeat(40), files });
const { writeDemoCheckpoint } = await import('../src/demo/demoCheckpoint.ts');
hub.repos.set('timm/demo', { sha: 'c'.repeat(40), files: { 'model.safetensors': bytesFile(readFileSync(await writeDemoCheckpoint(join(tmp, 'demo')))) } });

const { openCheckpoint } = await import('../src/formats/open.ts');
const { analyzeCheckpoint } = await import('../src/analysis/analyze.ts');
for (const [url, budget] of [['hf://big/ten-gb/model.safetensors', 0], ['hf://org/s200/model.safetensors.index.json', 0], ['hf://timm/demo/model.safetensors', undefined]] as const) {
  hub.reset();
  const r = await openCheckpoint(url);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  const a = await analyzeCheckpoint(r.value, budget === undefined ? {} : { valueBudgetBytes: budget });
  if (!a.ok) throw new Error(a.error.code);
  const size = r.value.files.reduce((s, f) => s + f.size, 0);
  console.log(`${url}: ${size} bytes in ${r.value.files.length} file(s), ${r.value.tensors.length} tensors; values ${budget === 0 ? 'off' : 'on'}: received ${hub.bytesSent.hub + hub.bytesSent.cdn} bytes in ${hub.log.length} requests (max ${hub.maxInFlight} in flight at the CDN)`);
}
await hub.close();
rmSync(tmp, { recursive: true, force: true });
