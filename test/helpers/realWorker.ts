import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { WorkerClient } from '../../src/extension/workerClient.js';

/**
 * The editor's real worker (src/extension/worker.ts) from source, for a test file: a bootstrap
 * that registers tsx, as the extension loads dist/worker.js. Stopped when the file's tests end.
 */
export function realWorker(dir: string): { client: WorkerClient; logs: string[] } {
  const boot = join(dir, 'worker-boot.cjs');
  writeFileSync(boot, `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, '../../src/extension/worker.ts'))});`);
  const logs: string[] = [];
  const client = new WorkerClient(boot, (l) => logs.push(l));
  // The client unrefs its worker (so VS Code can exit); keep this process alive while tests wait on it.
  const keepAlive = setInterval(() => {}, 1000);
  after(() => {
    clearInterval(keepAlive);
    client.dispose();
  });
  return { client, logs };
}
