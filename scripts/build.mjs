// Bundles the extension host, the CLI, worker(s) and the webview with esbuild.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * dist/codeDocs.json: code → docs/codes/<page>.md + line + anchor, so the Problems panel and the
 * editor's finding chips open a code's entry. Parsed by src/core/codeDocs.ts (bundled on the fly).
 */
async function writeCodeDocsIndex() {
  const dir = 'docs/codes';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md').sort().map((f) => ({ path: `${dir}/${f}`, text: readFileSync(`${dir}/${f}`, 'utf8') })) : [];
  const out = await build({ entryPoints: ['src/core/codeDocs.ts'], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'warning' });
  const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  mkdirSync('dist', { recursive: true });
  writeFileSync('dist/codeDocs.json', JSON.stringify(mod.parseCodeDocs(files)));
}

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'node20' };

const node = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['src/extension/worker.ts'], outfile: 'dist/worker.js' },
  { entryPoints: ['src/stats/statsWorker.ts'], outfile: 'dist/statsWorker.js' },
].filter((e) => existsSync(e.entryPoints[0]));

const web = [{ entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' }].filter((e) => existsSync(e.entryPoints[0]));

await Promise.all([
  ...node.map((e) => build({ ...common, platform: 'node', format: 'cjs', external: ['vscode', 'onnxruntime-node', ...(e.external ?? [])], ...e })),
  ...web.map((e) => build({ ...common, platform: 'browser', format: 'iife', target: 'chrome120', ...e })),
]);
await writeCodeDocsIndex();
if (!watch) console.error(`built ${node.length + web.length} bundle(s) into dist/`);
