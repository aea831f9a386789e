// Bundles the in-host mocha suite (test/vscode/suite) for the extension host: test/out/vscode/.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning', external: ['vscode', 'mocha', 'onnxruntime-node'] };
await Promise.all([
  build({ ...common, entryPoints: ['test/vscode/suite/index.ts'], outfile: 'test/out/vscode/index.js' }),
  build({ ...common, entryPoints: ['test/vscode/suite/extension.test.ts'], outfile: 'test/out/vscode/extension.test.js' }),
]);
