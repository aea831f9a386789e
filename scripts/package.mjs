#!/usr/bin/env node
/**
 * Packages the extension as .vsix files, one per platform, each carrying only its own
 * onnxruntime-node native files (the zero-shot probe's runtime). The bundles (dist/*.js), the
 * webview assets and the docs are the same in every archive.
 *
 *   node scripts/package.mjs linux-x64 --out checkpoint-lens.vsix   (npm run package)
 *   node scripts/package.mjs all --out-dir dist-vsix                 (npm run package:all)
 *
 * Targets are the platforms whose binaries onnxruntime-node ships (read from its bin/ folder, so
 * a new onnxruntime-node release changes the list by itself), plus `universal`: no native files,
 * for every other platform (e.g. darwin-x64, which onnxruntime-node 1.30 no longer ships); there
 * the probe says probe-runtime-missing and everything else works.
 * Run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ORT_BIN = 'node_modules/onnxruntime-node/bin';

/** Files every archive ships (a .vscodeignore: ignore everything, then re-include). */
const COMMON = [
  '**',
  '!package.json',
  '!README.md',
  '!CHANGELOG.md',
  '!LICENSE',
  '!dist/extension.js',
  '!dist/worker.js',
  '!dist/webview.js',
  '!dist/statsWorker.js',
  '!dist/codeDocs.json',
  '!media/**',
  '!docs/**/*.md',
  '!docs/screenshots/*.png',
];
/** onnxruntime-node's JavaScript and what it requires; the native folder is added per target. */
const ORT_JS = [
  '!node_modules/onnxruntime-node/package.json',
  '!node_modules/onnxruntime-node/LICENSE',
  '!node_modules/onnxruntime-node/dist/*.js',
  '!node_modules/onnxruntime-common/package.json',
  // The CommonJS build only (its package.json marks it CommonJS); no type declarations or maps.
  '!node_modules/onnxruntime-common/dist/cjs/*.js',
  '!node_modules/onnxruntime-common/dist/cjs/package.json',
];

/** `linux-x64`, `win32-arm64`, … from onnxruntime-node's bin/napi-vN/<platform>/<arch>/ folders. */
export function nativeTargets() {
  const out = [];
  const bin = join(ROOT, ORT_BIN);
  for (const napi of readdirSync(bin)) {
    for (const platform of readdirSync(join(bin, napi))) {
      for (const arch of readdirSync(join(bin, napi, platform))) out.push({ target: `${platform}-${arch}`, dir: `${ORT_BIN}/${napi}/${platform}/${arch}` });
    }
  }
  return out.sort((a, b) => a.target.localeCompare(b.target));
}

export function ignoreFileFor(target) {
  if (target === 'universal') return [...COMMON].join('\n') + '\n';
  const native = nativeTargets().find((t) => t.target === target);
  if (!native) throw new Error(`onnxruntime-node ships no binaries for ${target} (it ships: ${nativeTargets().map((t) => t.target).join(', ')}); use "universal"`);
  return [...COMMON, ...ORT_JS, `!${native.dir}/**`].join('\n') + '\n';
}

function packageOne(target, out) {
  const tmp = mkdtempSync(join(tmpdir(), 'cl-vsce-'));
  try {
    const ignore = join(tmp, 'vscodeignore');
    writeFileSync(ignore, ignoreFileFor(target));
    const args = ['vsce', 'package', '--ignoreFile', ignore, '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out];
    if (target !== 'universal') args.push('--target', target);
    const r = spawnSync('npx', ['--no-install', ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`vsce package for ${target} failed (exit ${r.status})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function main(argv) {
  const [which = 'linux-x64', ...rest] = argv;
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (!existsSync(join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/ is missing: run npm run build first');
  if (which === 'all') {
    const outDir = resolve(ROOT, opt('--out-dir') ?? 'dist-vsix');
    mkdirSync(outDir, { recursive: true });
    for (const target of [...nativeTargets().map((t) => t.target), 'universal']) packageOne(target, join(outDir, `checkpoint-lens-${target}.vsix`));
    console.log(`packaged ${nativeTargets().length + 1} archives into ${outDir}`);
  } else {
    packageOne(which, resolve(ROOT, opt('--out') ?? `checkpoint-lens-${which}.vsix`));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
}
