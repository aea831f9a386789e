/**
 * Where tests put screenshots. Tests never write tracked files: by default everything goes under
 * test/out/screenshots (ignored). `npm run screenshots` sets CHECKPOINT_LENS_SCREENSHOT_DIR to
 * docs/screenshots to refresh the README's pictures on purpose.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export function screenshotDir(root = process.cwd()): string {
  const env = process.env.CHECKPOINT_LENS_SCREENSHOT_DIR;
  const dir = env ? (isAbsolute(env) ? env : resolve(root, env)) : join(root, 'test', 'out', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Test-only artefacts (theme/width matrices): always under test/out, never refreshed into docs. */
export function testOutDir(...sub: string[]): string {
  const dir = join(process.cwd(), 'test', 'out', ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}
