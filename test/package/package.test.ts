/**
 * `npm run package:all`: one .vsix per platform whose binaries onnxruntime-node ships, plus a
 * universal one without native files. Opens every archive and checks what a user would install:
 * the bundles, the bundled docs (codes link to them), the icon, and only the platform's own
 * native files. (The linux-x64 archive is also installed and driven in the UI e2e.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import yauzl from 'yauzl';

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, 'test', 'out', 'vsix');
const EXPECTED_NATIVE = ['darwin-arm64', 'linux-arm64', 'linux-x64', 'win32-arm64', 'win32-x64'];

interface Archive {
  readonly names: readonly string[];
  readonly manifest: string;
}

function readArchive(path: string): Promise<Archive> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      let manifest = '';
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        if (e.fileName !== 'extension.vsixmanifest') return zip.readEntry();
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const parts: Buffer[] = [];
          s.on('data', (c: Buffer) => parts.push(c));
          s.on('end', () => {
            manifest = Buffer.concat(parts).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve({ names, manifest }));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const archives = new Map<string, Archive>();

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync('node', [join(ROOT, 'scripts', 'package.mjs'), 'all', '--out-dir', OUT], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const t of [...EXPECTED_NATIVE, 'universal']) archives.set(t, await readArchive(join(OUT, `checkpoint-lens-${t}.vsix`)));
});

const NATIVE = /^extension\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/([^/]+)\/([^/]+)\//;

describe('npm run package:all', () => {
  it('one archive per onnxruntime-node platform, each tagged with its target platform', () => {
    for (const t of EXPECTED_NATIVE) {
      const a = archives.get(t)!;
      assert.match(a.manifest, new RegExp(`TargetPlatform="${t}"`), t);
    }
    assert.doesNotMatch(archives.get('universal')!.manifest, /TargetPlatform=/);
  });

  it('each platform archive carries only its own native files', () => {
    for (const t of EXPECTED_NATIVE) {
      const names = archives.get(t)!.names;
      const natives = names.map((n) => NATIVE.exec(n)).filter((m): m is RegExpExecArray => m !== null);
      assert.ok(natives.length >= 2, `${t}: native files missing`);
      const platforms = new Set(natives.map((m) => `${m[1]}-${m[2]}`));
      assert.deepEqual([...platforms], [t], `${t} carries ${[...platforms].join(', ')}`);
      const binding = t.startsWith('win32') ? 'onnxruntime.dll' : t.startsWith('darwin') ? 'libonnxruntime.1.dylib' : 'libonnxruntime.so.1';
      assert.ok(names.some((n) => NATIVE.test(n) && n.endsWith('/onnxruntime_binding.node')), `${t}: binding`);
      assert.ok(names.some((n) => NATIVE.test(n) && n.endsWith(`/${binding}`)), `${t}: ${binding}`);
      assert.ok(names.includes('extension/node_modules/onnxruntime-common/package.json'), `${t}: onnxruntime-common`);
    }
  });

  it('the universal archive has no native files and no onnxruntime', () => {
    assert.deepEqual(archives.get('universal')!.names.filter((n) => n.includes('onnxruntime')), []);
  });

  it('every archive has the bundles, the manifest, the icon, the README, CHANGELOG and the bundled code docs — and no sources or tests', () => {
    for (const [t, a] of archives) {
      for (const f of ['extension/package.json', 'extension/readme.md', 'extension/changelog.md', 'extension/dist/extension.js', 'extension/dist/worker.js', 'extension/dist/webview.js', 'extension/dist/statsWorker.js', 'extension/media/icon.png', 'extension/docs/codes/probe.md']) {
        assert.ok(a.names.includes(f), `${t}: ${f} missing`);
      }
      const stray = a.names.filter((n) => /^extension\/(src|test|bench|scripts|webview|\.git|\.ci|demo)\//.test(n) || /\.ts$/.test(n) || /node_modules\/(?!onnxruntime-(node|common)\/)/.test(n));
      assert.deepEqual(stray, [], `${t} ships files it should not`);
    }
  });
});
