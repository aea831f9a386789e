// Bundles the extension host, the CLI, worker(s) and the webview with esbuild.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

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
if (!watch) console.error(`built ${node.length + web.length} bundle(s) into dist/`);
