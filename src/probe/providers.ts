import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { MemoryFile } from './externalData.js';

/**
 * Execution-provider selection. ORT does not fall back by itself: asking for an EP whose
 * libraries are absent makes `InferenceSession.create` throw (measured, see
 * ../shared/reference/onnxruntime-node.md §1), so we try each plan in order and keep the first
 * that creates, recording why the others were skipped.
 */
export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export const PROVIDER_NAMES: readonly ProviderName[] = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'];
export type ProviderChoice = 'auto' | ProviderName;

export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly outcome: 'used' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly ms?: number;
}

type Ort = typeof import('onnxruntime-node');

let ortPromise: Promise<Ort> | undefined;

/** onnxruntime-node is external to the bundles and loaded at run time (it carries native binaries). */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then((m) => ((m as unknown as { default?: Ort }).default?.InferenceSession ? (m as unknown as { default: Ort }).default : m));
  return ortPromise;
}

/** The provider order `auto` tries on this platform; CPU always last. */
export function autoOrder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'webgpu', 'cpu'];
}

/** Why a provider cannot work here without trying it (saves ORT's stderr noise and a failed load). */
export function precheck(p: ProviderName, platform: NodeJS.Platform = process.platform, bindingDir = ortBindingDir()): string | undefined {
  switch (p) {
    case 'cpu':
      return undefined;
    case 'dml':
      return platform === 'win32' ? undefined : 'DirectML exists only on Windows';
    case 'coreml':
      return platform === 'darwin' ? undefined : 'CoreML exists only on macOS';
    case 'cuda':
      if (platform !== 'linux' || process.arch !== 'x64') return 'onnxruntime-node ships CUDA only for linux/x64';
      if (bindingDir && !existsSync(join(bindingDir, 'libonnxruntime_providers_cuda.so')))
        return "the CUDA provider libraries are not installed (onnxruntime-node's install-time download was skipped; see the probe docs for ONNXRUNTIME_NODE_INSTALL=cuda12)";
      return undefined;
    case 'webgpu':
      if (platform === 'linux' && process.arch !== 'x64') return 'onnxruntime-node has no WebGPU build for this platform';
      // On Linux ORT's WebGPU (Dawn) runs over Vulkan; without the loader it only prints a warning and throws.
      if (platform === 'linux' && !VULKAN_DIRS.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return 'no Vulkan loader (libvulkan.so.1) is installed, which WebGPU needs on Linux';
      return undefined;
  }
}

const VULKAN_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu'];

function ortBindingDir(): string | undefined {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

export interface SessionRequest {
  readonly modelPath: string;
  readonly memoryFiles: readonly MemoryFile[];
  readonly choice: ProviderChoice;
  /** Explicit order (a setting); overrides the platform's auto order. */
  readonly order?: readonly ProviderName[];
  readonly threads?: number;
}

export type SessionOutcome =
  | { ok: true; session: InferenceSession; provider: ProviderName; attempts: ProviderAttempt[]; createMs: number }
  | { ok: false; code: string; message: string; attempts: ProviderAttempt[] };

export async function createSession(req: SessionRequest): Promise<SessionOutcome> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    return { ok: false, code: 'probe-runtime-missing', message: `onnxruntime-node could not be loaded on ${process.platform}/${process.arch}: ${(e as Error).message}`, attempts: [] };
  }
  const plan = req.choice === 'auto' ? [...(req.order ?? autoOrder())] : [req.choice];
  if (req.choice === 'auto' && !plan.includes('cpu')) plan.push('cpu');
  const attempts: ProviderAttempt[] = [];
  for (const p of plan) {
    const why = precheck(p);
    if (why) {
      attempts.push({ provider: p, outcome: 'skipped', reason: why });
      continue;
    }
    const t0 = performance.now();
    try {
      const session = await ort.InferenceSession.create(req.modelPath, {
        executionProviders: [p],
        graphOptimizationLevel: 'all',
        ...(req.threads ? { intraOpNumThreads: req.threads } : {}),
        ...(req.memoryFiles.length ? { externalData: req.memoryFiles.map((f) => ({ path: f.path, data: f.data })) } : {}),
        logSeverityLevel: 3,
      });
      const createMs = performance.now() - t0;
      attempts.push({ provider: p, outcome: 'used', ms: createMs });
      return { ok: true, session, provider: p, attempts, createMs };
    } catch (e) {
      attempts.push({ provider: p, outcome: 'failed', reason: oneLine((e as Error).message), ms: performance.now() - t0 });
    }
  }
  const last = attempts[attempts.length - 1];
  return {
    ok: false,
    code: req.choice === 'auto' ? 'probe-session-failed' : 'probe-provider-unavailable',
    message: `no execution provider could run the model${last?.reason ? `: ${last.provider}: ${last.reason}` : ''}`,
    attempts,
  };
}

function oneLine(s: string): string {
  const l = s.replace(/\s+/g, ' ').trim();
  return l.length > 300 ? `${l.slice(0, 300)}…` : l;
}
