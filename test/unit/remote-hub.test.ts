import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import { tensorStats, type TensorStats } from '../../src/stats/tensorStats.js';
import { compareFiles } from '../../src/compare/compare.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { parseRemoteRef } from '../../src/remote/ref.js';
import { clearHubMemo } from '../../src/remote/hub.js';
import { clearRemoteSources } from '../../src/remote/source.js';
import { httpGet, remoteStats, resetRemoteStats, setRemoteWarningListener, withRemoteContext, RemoteError } from '../../src/remote/http.js';
import { clipTensorSpecs } from '../helpers/clipFixtures.js';
import { PickleWriter, torchZip } from '../fixtures/pytorch/writers.js';
import { bytesFile, GOOD_TOKEN, safetensorsHead, sparseFile, startHub, type HubStandIn } from '../helpers/hubServer.js';
import { tempDir } from '../helpers/tmp.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const SHA2 = 'fedcba9876543210fedcba9876543210fedcba98';
let hub: HubStandIn;
const dir = tempDir('ckl-remote-'); // at module level: its after() hook then runs when the file ends
const warnings: string[] = [];
const savedEnv = { ...process.env };
let cacheN = 0; // a fresh header cache per test: tests must not see each other's cached bytes

function fresh(): void {
  clearHubMemo();
  clearRemoteSources();
  resetRemoteStats();
  hub.reset();
}

function setEnv(extra: Record<string, string | undefined> = {}): void {
  for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'CHECKPOINT_LENS_OFFLINE', 'CHECKPOINT_LENS_HTTP_TIMEOUT_MS', 'CHECKPOINT_LENS_HTTP_ATTEMPTS', 'CHECKPOINT_LENS_HTTP_CONCURRENCY', 'CHECKPOINT_LENS_REVISION_TTL_MS']) delete process.env[k];
  Object.assign(process.env, {
    HF_ENDPOINT: hub.endpoint,
    HF_HOME: join(dir, 'hf-home'),
    XDG_CACHE_HOME: join(dir, 'xdg'),
    CHECKPOINT_LENS_CACHE_DIR: join(dir, `cache-${cacheN}`),
    CHECKPOINT_LENS_HTTP_RETRY_MS: '1',
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/** f32 little-endian bytes of a ramp, so stats have something to compute. */
function ramp(n: number, scale: number): Uint8Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (i - n / 2) * scale;
  return new Uint8Array(a.buffer);
}

function realFile(tensors: { name: string; data: Uint8Array; shape: number[] }[]): Uint8Array {
  const { head } = safetensorsHead(tensors.map((t) => ({ name: t.name, shape: t.shape })));
  return Buffer.concat([Buffer.from(head), ...tensors.map((t) => Buffer.from(t.data))]);
}

/** The CLI, asynchronously (the stand-in server lives in this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  hub = await startHub();
  setEnv();
  setRemoteWarningListener((code, message) => warnings.push(`${code}: ${message}`));

  // The seed case: timm's image tower beside the complete open_clip weights, 10 GB of zeros after a
  // real header in a third file.
  const timm = safetensorsHead(clipTensorSpecs('timm-vit', 'ViT-B-16'));
  const oc = safetensorsHead(clipTensorSpecs('openai-clip', 'ViT-B-16'));
  const big = safetensorsHead([...clipTensorSpecs('openai-clip', 'ViT-B-16'), { name: 'extra.huge', shape: [50_000, 50_000] }]);
  hub.repos.set('timm/vit_base_patch16_clip_224.openai', {
    sha: SHA,
    branches: { main: SHA, v2: SHA2 },
    files: {
      'model.safetensors': sparseFile(timm.head, timm.size),
      'open_clip_model.safetensors': sparseFile(oc.head, oc.size),
      'README.md': bytesFile(Buffer.from('# readme')),
    },
  });
  hub.repos.set('big/ten-gb', { sha: SHA, files: { 'model.safetensors': sparseFile(big.head, big.size) } });

  // 200 shards + index; shard 7 is absent from the repository.
  const files: Record<string, ReturnType<typeof bytesFile>> = {};
  const weightMap: Record<string, string> = {};
  for (let i = 1; i <= 200; i++) {
    const name = `model-${String(i).padStart(5, '0')}-of-00200.safetensors`;
    weightMap[`layers.${i}.weight`] = name;
    if (i !== 7) files[name] = bytesFile(realFile([{ name: `layers.${i}.weight`, shape: [4], data: ramp(4, i) }]));
  }
  files['model.safetensors.index.json'] = bytesFile(Buffer.from(JSON.stringify({ metadata: { total_size: 200 * 16 }, weight_map: weightMap })));
  hub.repos.set('org/sharded', { sha: SHA, files });

  hub.repos.set('org/gated', { sha: SHA, gated: true, files: { 'model.safetensors': bytesFile(realFile([{ name: 'w', shape: [2], data: ramp(2, 1) }])) } });
  hub.repos.set('org/private', { sha: SHA, private: true, files: { 'model.safetensors': bytesFile(realFile([{ name: 'w', shape: [2], data: ramp(2, 1) }])) } });
  hub.repos.set('org/values', { sha: SHA, files: { 'model.safetensors': bytesFile(realFile([{ name: 'a', shape: [64, 64], data: ramp(4096, 0.001) }, { name: 'b', shape: [8], data: ramp(8, 2) }])) } });
  const fx = join(__dirname, '..', 'fixtures', 'pytorch');
  const torchFiles: Record<string, ReturnType<typeof bytesFile>> = {};
  for (const f of ['basic.pt', 'compressed.pt', 'legacy.pt', 'scripted.pt', 'zip64.pt', 'sharded/pytorch_model.bin.index.json', 'sharded/pytorch_model-00001-of-00002.bin', 'sharded/pytorch_model-00002-of-00002.bin']) {
    torchFiles[f] = bytesFile(readFileSync(join(fx, f)));
  }
  // A larger ZIP (20 × 128 KiB storages): local headers, data.pkl and values really come by ranges.
  const pk = new PickleWriter().proto(2).op('}').mark();
  const storages: Record<string, Uint8Array> = {};
  for (let i = 0; i < 20; i++) {
    pk.str(`layer${i}.weight`).tensor('FloatStorage', String(i), 32768, 0, [256, 128], [128, 1]);
    storages[String(i)] = ramp(32768, (i + 1) * 0.01);
  }
  torchFiles['big.pt'] = bytesFile(torchZip(pk.op('u').stop().bytes(), storages));
  writeFileSync(join(dir, 'big.pt'), torchFiles['big.pt'].read(0, torchFiles['big.pt'].size));
  hub.repos.set('org/torch', { sha: SHA, files: torchFiles });
  hub.plain.set('x/model.safetensors', bytesFile(realFile([{ name: 'p', shape: [3], data: ramp(3, 1) }])));
});

after(async () => {
  setRemoteWarningListener(undefined);
  await hub.close();
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

beforeEach(() => {
  cacheN++;
  setEnv();
  fresh();
  warnings.length = 0;
});

describe('remote references', () => {
  it('parses hf://, Hub web URLs and plain URLs; refuses malformed ones', () => {
    const ep = hub.endpoint;
    const f = parseRemoteRef('hf://org/name@v1.0/sub/model.safetensors');
    assert.ok(f.ok && f.value.kind === 'hub-file');
    assert.equal(f.value.url, `${ep}/org/name/resolve/v1.0/sub/model.safetensors`);
    const pr = parseRemoteRef('hf://org/name@refs%2Fpr%2F3/m.safetensors');
    assert.ok(pr.ok && pr.value.kind === 'hub-file' && pr.value.revision === 'refs/pr/3');
    const blob = parseRemoteRef('https://huggingface.co/timm/vit/blob/main/model.safetensors?download=true');
    assert.ok(blob.ok && blob.value.kind === 'hub-file' && blob.value.file === 'model.safetensors' && blob.value.url.startsWith(ep), 'huggingface.co URLs go to HF_ENDPOINT');
    const tree = parseRemoteRef(`${ep}/org/name/tree/dev/weights`);
    assert.ok(tree.ok && tree.value.kind === 'hub-repo' && tree.value.revision === 'dev' && tree.value.dir === 'weights');
    const repo = parseRemoteRef('https://huggingface.co/org/name');
    assert.ok(repo.ok && repo.value.kind === 'hub-repo' && repo.value.revision === 'main');
    const plain = parseRemoteRef('https://example.com/a/b.safetensors');
    assert.ok(plain.ok && plain.value.kind === 'url');
    for (const bad of ['hf://justone', 'hf://org/../x', 'hf://org/name/../../etc/passwd', 'ftp://x/y', 'https://user:pw@example.com/x', 'https://huggingface.co/org/name/discussions/1', 'hf://org/name@%zz/x']) {
      const r = parseRemoteRef(bad);
      assert.ok(!r.ok && r.error.code === 'remote-bad-url', bad);
    }
  });
});

describe('Hub files by ranges', () => {
  it('reads a 10 GB checkpoint header with under 2 MB moved; the token goes to the Hub, never the CDN', async () => {
    setEnv({ HF_TOKEN: GOOD_TOKEN });
    const r = await openCheckpoint('hf://big/ten-gb/model.safetensors');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.equal(r.value.path, `${hub.endpoint}/big/ten-gb/resolve/main/model.safetensors`);
    assert.ok(r.value.files[0]!.size > 10e9);
    assert.ok(r.value.tensors.some((t) => t.name === 'extra.huge'));
    const a = await analyzeCheckpoint(r.value, { valueBudgetBytes: 0 });
    assert.ok(a.ok);
    const sent = hub.bytesSent.hub + hub.bytesSent.cdn;
    assert.ok(sent < 2 << 20, `${sent} bytes sent`);
    assert.ok(hub.log.some((l) => l.server === 'hub' && l.auth === `Bearer ${GOOD_TOKEN}`), 'the Hub got the token');
    assert.ok(hub.log.some((l) => l.server === 'cdn'), 'bytes came from the CDN');
    assert.ok(hub.log.filter((l) => l.server === 'cdn').every((l) => l.auth === undefined), 'the CDN never got the token');
    assert.deepEqual([...remoteStats.authSentTo], [new URL(hub.endpoint).host]);
  });

  it('pins ranges to the commit a branch points at', async () => {
    const r = await openCheckpoint('hf://timm/vit_base_patch16_clip_224.openai/model.safetensors');
    assert.ok(r.ok);
    assert.ok(hub.log.some((l) => l.path === `/timm/vit_base_patch16_clip_224.openai/resolve/${SHA}/model.safetensors`));
  });

  it('streams statistics and value checks by ranges; a Hub file diffs against its local copy', async () => {
    const url = `${hub.endpoint}/org/values/blob/main/model.safetensors`;
    const r = await openCheckpoint(url);
    assert.ok(r.ok);
    const s = await tensorStats(r.value.tensors.find((t) => t.name === 'a')!, { chunkBytes: 4096 });
    assert.equal(s.count, 4096);
    assert.equal(s.min, Math.fround(-2048 * 0.001));
    const local = join(dir, 'values.safetensors');
    const bytes = hub.repos.get('org/values')!.files['model.safetensors']!;
    writeFileSync(local, bytes.read(0, bytes.size));
    const cmp = await compareFiles(url, local);
    assert.ok(cmp.ok, JSON.stringify(!cmp.ok && cmp.error));
    assert.equal(cmp.value.verdict.equivalent, true);
    const ranges = hub.log.filter((l) => l.server === 'cdn' && l.range).length;
    assert.ok(ranges >= 2, 'values were fetched by ranges');
  });

  it('opens a 200-shard index as one model, in parallel with a bound, and reports the missing shard', async () => {
    setEnv({ CHECKPOINT_LENS_HTTP_CONCURRENCY: '6' });
    hub.faults = { cdnDelayMs: 20 }; // long enough that parallel reads overlap
    const r = await openCheckpoint('hf://org/sharded/model.safetensors.index.json');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.equal(r.value.format, 'safetensors-sharded');
    assert.equal(r.value.tensors.length, 199);
    assert.deepEqual(r.value.problems.map((p) => p.code).sort(), ['shard-missing']);
    assert.ok(hub.maxInFlight > 1 && hub.maxInFlight <= 6, `max in flight ${hub.maxInFlight}`);
    // The missing shard is known from the file list: no request was made for it.
    assert.ok(!hub.log.some((l) => l.path.includes('00007-of')));
  });

  it('reopens from the header cache: no request for a commit, only the revision for a branch, offline with a warning', async () => {
    const url = 'hf://timm/vit_base_patch16_clip_224.openai/open_clip_model.safetensors';
    assert.ok((await openCheckpoint(url)).ok);
    await new Promise((r) => setTimeout(r, 50)); // cache writes are fire-and-forget
    fresh();
    const pinned = await openCheckpoint(`hf://timm/vit_base_patch16_clip_224.openai@${SHA}/open_clip_model.safetensors`);
    assert.ok(pinned.ok);
    assert.equal(hub.log.length, 0, JSON.stringify(hub.log));
    fresh();
    assert.ok((await openCheckpoint(url)).ok);
    assert.deepEqual(hub.log.map((l) => l.path), ['/api/models/timm/vit_base_patch16_clip_224.openai/revision/main']);
    fresh();
    setEnv({ HF_HUB_OFFLINE: '1' });
    const off = await openCheckpoint(url);
    assert.ok(off.ok);
    assert.equal(hub.log.length, 0);
    fresh();
    setEnv({ HF_HUB_OFFLINE: '1' });
    const never = await openCheckpoint('hf://timm/vit_base_patch16_clip_224.openai@v2/model.safetensors');
    assert.ok(!never.ok && never.error.code === 'remote-offline');
  });

  it('a branch that moves is seen by the next open after the revision TTL', async () => {
    const v1 = bytesFile(realFile([{ name: 'old', shape: [2], data: ramp(2, 1) }]));
    const v2 = bytesFile(realFile([{ name: 'new', shape: [3], data: ramp(3, 1) }]));
    const repo = { sha: SHA, files: { 'model.safetensors': v1 } };
    hub.repos.set('org/moving', repo);
    const names = async () => {
      const r = await openCheckpoint('hf://org/moving/model.safetensors');
      assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
      return r.value.tensors.map((t) => t.name);
    };
    assert.deepEqual(await names(), ['old']);
    hub.repos.set('org/moving', { sha: SHA2, files: { 'model.safetensors': v2 } });
    assert.deepEqual(await names(), ['old'], 'within the TTL the process keeps the commit it resolved');
    setEnv({ CHECKPOINT_LENS_REVISION_TTL_MS: '0' });
    assert.deepEqual(await names(), ['new']);
    assert.ok(hub.log.some((l) => l.path.includes(`/resolve/${SHA2}/`)));
  });

  it('falls back to the cache when the Hub is unreachable, and says so', async () => {
    const url = 'hf://org/values/model.safetensors';
    assert.ok((await openCheckpoint(url)).ok);
    await new Promise((r) => setTimeout(r, 50));
    fresh();
    setEnv({ HF_ENDPOINT: 'http://127.0.0.1:9', CHECKPOINT_LENS_HTTP_ATTEMPTS: '1' });
    // The cached record is keyed by endpoint: point the reference at the same endpoint it was cached under.
    const ref = `${hub.endpoint}/org/values/resolve/main/model.safetensors`;
    setEnv({ CHECKPOINT_LENS_HTTP_ATTEMPTS: '1' });
    const server = hub;
    const saved = server.faults;
    server.faults = { api502: 99 };
    const r = await openCheckpoint(ref);
    server.faults = saved;
    // 502 is a server error, not "unreachable": the error is reported, not hidden by the cache.
    assert.ok(!r.ok && r.error.code === 'remote-server-error');
  });
});

describe('PyTorch ZIP by ranges', () => {
  it('reads the same tensors and values from a Hub copy as from the local file (stored, deflated, TorchScript, zip64, sharded)', async () => {
    const fx = join(__dirname, '..', 'fixtures', 'pytorch');
    for (const f of ['basic.pt', 'compressed.pt', 'scripted.pt', 'zip64.pt', 'sharded/pytorch_model.bin.index.json', 'big.pt']) {
      fresh();
      const [remote, local] = await Promise.all([openCheckpoint(`hf://org/torch/${f}`), openCheckpoint(f === 'big.pt' ? join(dir, f) : join(fx, f))]);
      assert.ok(local.ok, `${f}: ${JSON.stringify(!local.ok && local.error)}`);
      assert.ok(remote.ok, `${f}: ${JSON.stringify(!remote.ok && remote.error)}`);
      const shape = (c: typeof local.value) => c.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`);
      assert.deepEqual(shape(remote.value), shape(local.value), f);
      assert.deepEqual(remote.value.problems.map((p) => p.code), local.value.problems.map((p) => p.code), f);
      if (f === 'big.pt') {
        // Opening read the central directory, local headers and data.pkl by ranges, not the file.
        assert.equal(remote.value.tensors.length, 20);
        assert.ok(hub.log.filter((l) => l.server === 'cdn').length > 3);
        assert.ok(hub.bytesSent.cdn < hub.repos.get('org/torch')!.files['big.pt']!.size / 2, `${hub.bytesSent.cdn} bytes to open`);
      }
      for (const [i, t] of remote.value.tensors.entries()) {
        const sr: TensorStats = await tensorStats(t);
        const sl: TensorStats = await tensorStats(local.value.tensors[i]!);
        assert.deepEqual(sr, sl, `${f}: ${t.name}`);
      }
    }
  });
});

describe('remote errors', () => {
  it('gated repository: without a token says what to do; with a token lacking access says to accept the terms', async () => {
    const r = await openCheckpoint('hf://org/gated/model.safetensors');
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'remote-gated');
    assert.match(r.error.message, /HF_TOKEN/);
    fresh();
    setEnv({ HF_TOKEN: 'hf_wrong_token_value' });
    const w = await openCheckpoint('hf://org/gated/model.safetensors');
    assert.ok(!w.ok && w.error.code === 'remote-gated');
    assert.match(w.error.message, /accept/);
    assert.ok(!w.error.message.includes('hf_wrong_token_value'));
    fresh();
    setEnv({ HF_TOKEN: GOOD_TOKEN });
    assert.ok((await openCheckpoint('hf://org/gated/model.safetensors')).ok);
  });

  it('reads the token huggingface_hub writes under HF_HOME', async () => {
    mkdirSync(join(dir, 'hf-home'), { recursive: true });
    writeFileSync(join(dir, 'hf-home', 'token'), `${GOOD_TOKEN}\n`);
    try {
      assert.ok((await openCheckpoint('hf://org/private/model.safetensors')).ok);
    } finally {
      writeFileSync(join(dir, 'hf-home', 'token'), '');
    }
    fresh();
    const r = await openCheckpoint('hf://org/private/model.safetensors');
    assert.ok(!r.ok && r.error.code === 'remote-repo-not-found');
    assert.match(r.error.message, /private/);
  });

  it('404s: repository, revision, file; a repository where a file is expected', async () => {
    const cases: Array<[string, string]> = [
      ['hf://org/nope/model.safetensors', 'remote-repo-not-found'],
      ['hf://org/values@nobranch/model.safetensors', 'remote-revision-not-found'],
      ['hf://org/values/missing.safetensors', 'remote-file-not-found'],
      ['hf://org/values', 'remote-is-repository'],
      [`${hub.cdnOrigin}/files/none.safetensors`, 'remote-file-not-found'],
      ['hf://org/torch/legacy.pt', 'remote-format-unsupported'],
    ];
    for (const [url, code] of cases) {
      fresh();
      const r = await openCheckpoint(url);
      assert.ok(!r.ok, url);
      assert.equal(r.error.code, code, `${url}: ${r.error.message}`);
    }
  });

  it('an HTML page where a checkpoint should be', async () => {
    const r = await openCheckpoint(`${hub.cdnOrigin}/html/model.safetensors`);
    assert.ok(!r.ok && r.error.code === 'remote-html', JSON.stringify(!r.ok && r.error));
    fresh();
    hub.faults = { cdnHtml: true };
    const c = await openCheckpoint('hf://org/values/model.safetensors');
    assert.ok(!c.ok && c.error.code === 'remote-html');
  });

  it('5xx then OK is retried; a body shorter than promised is retried, then reported', async () => {
    setEnv({ CHECKPOINT_LENS_CACHE_DIR: '' }); // no header cache: every open goes to the servers
    hub.faults = { cdn503: 2, api502: 1 };
    const r = await openCheckpoint('hf://org/values/model.safetensors');
    assert.ok(r.ok);
    assert.equal(remoteStats.retries, 3);
    fresh();
    hub.faults = { cdnShort: 1 };
    assert.ok((await openCheckpoint('hf://org/values/model.safetensors')).ok);
    fresh();
    hub.faults = { cdnShort: 99 };
    const s = await openCheckpoint('hf://org/values/model.safetensors');
    assert.ok(!s.ok && s.error.code === 'remote-short-response', JSON.stringify(!s.ok && s.error));
    const cdnCalls = hub.log.filter((l) => l.server === 'cdn').length;
    assert.ok(cdnCalls <= 4, `bounded attempts: ${cdnCalls}`);
  });

  it('a compressed, chunked API answer (no usable Content-Length) is read whole', async () => {
    hub.faults = { apiGzip: true };
    const r = await openCheckpoint('hf://org/sharded/model.safetensors.index.json');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.equal(r.value.tensors.length, 199);
  });

  it('416 and a server that ignores Range', async () => {
    await assert.rejects(httpGet(`${hub.cdnOrigin}/files/x/model.safetensors`, { range: [1_000_000, 1_000_100], what: { kind: 'url' } }), (e: RemoteError) => e.code === 'remote-range-not-satisfiable');
    fresh();
    hub.faults = { cdnIgnoreRange: true };
    const small = await openCheckpoint(`${hub.cdnOrigin}/files/x/model.safetensors`);
    assert.ok(small.ok, 'a 200 from byte 0 is read up to what is needed');
    fresh();
    hub.faults = { cdnIgnoreRange: true };
    // A header past the first block needs a second range, which such a server cannot give.
    const r = await openCheckpoint('hf://big/ten-gb/model.safetensors');
    assert.ok(!r.ok && r.error.code === 'remote-range-unsupported', JSON.stringify(!r.ok && r.error));
    assert.ok(hub.bytesSent.cdn < 256 << 20, `${hub.bytesSent.cdn} bytes: the client stopped the 10 GB body early`);
  });

  it('a stalled server times out (bounded attempts); a cancel stops at once', async () => {
    setEnv({ CHECKPOINT_LENS_HTTP_TIMEOUT_MS: '100', CHECKPOINT_LENS_HTTP_ATTEMPTS: '2' });
    hub.faults = { cdnDelayMs: 2000 };
    const t = await openCheckpoint('hf://org/values/model.safetensors');
    assert.ok(!t.ok && t.error.code === 'remote-timeout', JSON.stringify(!t.ok && t.error));
    fresh();
    setEnv();
    hub.faults = { cdnDelayMs: 5000 };
    const ctl = new AbortController();
    const p = withRemoteContext({ signal: ctl.signal }, () => openCheckpoint('hf://org/values/model.safetensors'));
    setTimeout(() => ctl.abort(), 20);
    const c = await p;
    assert.ok(!c.ok && c.error.code === 'remote-cancelled', JSON.stringify(!c.ok && c.error));
  });

  it('plain http to a non-loopback host warns (and is not contacted here: offline)', async () => {
    setEnv({ CHECKPOINT_LENS_HTTP_ATTEMPTS: '1', CHECKPOINT_LENS_HTTP_TIMEOUT_MS: '300' });
    const r = await openCheckpoint('http://checkpoint-lens.invalid/m.safetensors');
    assert.ok(!r.ok && (r.error.code === 'remote-offline' || r.error.code === 'remote-network-error' || r.error.code === 'remote-timeout'), JSON.stringify(!r.ok && r.error));
    assert.ok(warnings.some((w) => w.startsWith('remote-insecure-http')));
    // Loopback http (tests, local mirrors) does not warn.
    warnings.length = 0;
    assert.ok((await openCheckpoint(`${hub.cdnOrigin}/files/x/model.safetensors`)).ok);
    assert.equal(warnings.length, 0);
  });
});

describe('CLI with URLs', () => {
  it('lists a repository with one verdict per checkpoint and the loader for each; never prints the token', async () => {
    const r = await cli(['inspect', 'hf://timm/vit_base_patch16_clip_224.openai'], { HF_TOKEN: GOOD_TOKEN });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /model\.safetensors[\s\S]*timm ViT ViT-B-16 — image tower only/);
    assert.match(r.stdout, /open_clip_model\.safetensors[\s\S]*OpenAI\/open_clip CLIP ViT-B-16 — complete/);
    assert.match(r.stdout, /load with timm:/);
    assert.match(r.stdout, /load with open_clip:/);
    assert.ok(!r.stdout.includes(GOOD_TOKEN) && !r.stderr.includes(GOOD_TOKEN));
    const j = await cli(['inspect', 'https://huggingface.co/timm/vit_base_patch16_clip_224.openai/tree/main', '--json']);
    const doc = JSON.parse(j.stdout) as { commit: string; checkpoints: Array<{ file: string; inspect: { tensorCount: number; path: string } }> };
    assert.equal(doc.commit, SHA);
    assert.deepEqual(doc.checkpoints.map((c) => c.file), ['model.safetensors', 'open_clip_model.safetensors']);
    assert.ok(doc.checkpoints.every((c) => c.inspect.tensorCount > 100 && c.inspect.path.startsWith(hub.endpoint)));
  });

  it('inspect --json of a Hub file is the local JSON with the URL as path; stats and errors carry codes', async () => {
    const local = join(dir, 'same.safetensors');
    const f = hub.repos.get('org/values')!.files['model.safetensors']!;
    writeFileSync(local, f.read(0, f.size));
    const [remote, loc] = await Promise.all([cli(['inspect', 'hf://org/values/model.safetensors', '--json', '--no-config']), cli(['inspect', local, '--json', '--no-config'])]);
    assert.equal(remote.code, loc.code, remote.stderr);
    const a = JSON.parse(remote.stdout) as Record<string, unknown>;
    const b = JSON.parse(loc.stdout) as Record<string, unknown>;
    assert.equal(a.path, `${hub.endpoint}/org/values/resolve/main/model.safetensors`);
    const strip = (d: Record<string, unknown>) => JSON.stringify({ ...d, path: '', files: '' }).replaceAll(a.path as string, 'P').replaceAll(local, 'P');
    assert.equal(strip(a), strip(b));
    const s = await cli(['stats', 'hf://org/values/model.safetensors', '--tensor', 'b', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((JSON.parse(s.stdout) as { tensors: Array<{ count: number }> }).tensors[0]!.count, 8);
    const d = await cli(['diff', 'hf://org/values/model.safetensors', local]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const logFile = join(dir, 'load.log');
    writeFileSync(logFile, "Missing key(s) in state_dict: \"text.positional_embedding\", \"logit_scale\".\n");
    const x = await cli(['explain-log', logFile, '--file', 'hf://timm/vit_base_patch16_clip_224.openai/model.safetensors', '--json']);
    assert.ok(x.code === 0 || x.code === 1, x.stderr);
    const ex = JSON.parse(x.stdout) as { findings: Array<{ code: string }> };
    assert.ok(ex.findings.length > 0);
    const g = await cli(['inspect', 'hf://org/gated/model.safetensors'], { HF_TOKEN: 'hf_secret_that_must_not_print' });
    assert.equal(g.code, 2);
    assert.match(g.stderr, /remote-gated/);
    assert.ok(!g.stderr.includes('hf_secret_that_must_not_print') && !g.stdout.includes('hf_secret_that_must_not_print'));
  });
});

describe('remote plumbing', () => {
  it('URL-aware path arithmetic: shards and configs beside a URL stay URLs', async () => {
    const { siblingOf, dirOf, baseNameOf } = await import('../../src/io/paths.js');
    const idx = 'https://huggingface.co/org/m/resolve/main/sub/model.safetensors.index.json';
    assert.equal(siblingOf(idx, 'model-00001-of-00002.safetensors'), 'https://huggingface.co/org/m/resolve/main/sub/model-00001-of-00002.safetensors');
    assert.equal(siblingOf(idx, 'odd #name?.safetensors'), 'https://huggingface.co/org/m/resolve/main/sub/odd%20%23name%3F.safetensors');
    assert.equal(dirOf(idx), 'https://huggingface.co/org/m/resolve/main/sub/');
    assert.equal(baseNameOf('https://x/a/b%20c.safetensors'), 'b c.safetensors');
    assert.equal(siblingOf('/tmp/a/model.safetensors.index.json', 's.safetensors'), '/tmp/a/s.safetensors');
  });

  it('worker threads get the editor token from the host over a channel', async () => {
    const { serveHubToken, useTokenFromHost } = await import('../../src/remote/tokenChannel.js');
    const { hubToken, setTokenProvider } = await import('../../src/remote/config.js');
    const server = serveHubToken(async () => 'hf_from_secret_storage');
    try {
      useTokenFromHost(1000);
      assert.equal(await hubToken(), 'hf_from_secret_storage');
    } finally {
      server.dispose();
      setTokenProvider(undefined);
    }
  });

  it('a token set after "no token" is used at once; a changed token replaces the one a worker held', async () => {
    const { serveHubToken, useTokenFromHost } = await import('../../src/remote/tokenChannel.js');
    const { hubToken, setTokenProvider } = await import('../../src/remote/config.js');
    let secret: string | undefined;
    const server = serveHubToken(async () => secret);
    let changes = 0;
    setEnv({ HF_HOME: join(dir, 'absent-home') });
    try {
      useTokenFromHost(1000, () => changes++);
      assert.equal(await hubToken(), undefined);
      secret = 'hf_first';
      assert.equal(await hubToken(), 'hf_first', '"no token" was not remembered');
      secret = 'hf_second';
      assert.equal(await hubToken(), 'hf_first', 'a token is held for a while (one question per minute)');
      server.changed();
      for (let i = 0; i < 50 && changes === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(changes, 1, 'the worker heard of the change');
      assert.equal(await hubToken(), 'hf_second');
    } finally {
      server.dispose();
      setTokenProvider(undefined);
      setEnv();
    }
  });

  it('a request stamped after a token change forgets the old token before it runs (the broadcast may come later)', async () => {
    const { serveHubToken, useTokenFromHost, hubTokenEpoch } = await import('../../src/remote/tokenChannel.js');
    const { hubToken, setTokenProvider } = await import('../../src/remote/config.js');
    let secret: string | undefined = 'hf_old';
    const server = serveHubToken(async () => secret);
    let changes = 0;
    setEnv({ HF_HOME: join(dir, 'absent-home') });
    try {
      const worker = useTokenFromHost(1000, () => changes++);
      assert.equal(await hubToken(), 'hf_old');
      secret = 'hf_new';
      const before = hubTokenEpoch();
      server.changed();
      assert.equal(hubTokenEpoch(), before + 1, 'each change moves the epoch');
      // Synchronously, as the worker does on a request's arrival: nothing has been broadcast yet.
      worker.seeEpoch(hubTokenEpoch());
      assert.equal(changes, 1, 'forgotten on the stamp alone');
      assert.equal(await hubToken(), 'hf_new');
      worker.seeEpoch(hubTokenEpoch());
      worker.seeEpoch('not a number');
      worker.seeEpoch(before);
      // The broadcast of the same change arrives later: it must not forget again (that would drop
      // the sources of an open already running with the new token).
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(changes, 1, 'one forget per change, whichever of the stamp or the broadcast came first');
    } finally {
      server.dispose();
      setTokenProvider(undefined);
      setEnv();
    }
  });
});
