import { plural } from '../../shared/text.js';
import { analyzeCheckpoint } from '../../analysis/analyze.js';
import { openCheckpoint } from '../../formats/open.js';
import { inspectDocument } from '../../core/summary.js';
import { judgeCheckpoints, listRepository } from '../../remote/listing.js';
import { parseRemoteRef } from '../../remote/ref.js';
import { formatBytes, safeText, writeError } from '../output.js';

/** True when `input` names a Hub repository (or a tree), not a file. */
export function isRepositoryInput(input: string): boolean {
  const r = /^(hf|https?):\/\//i.test(input) ? parseRemoteRef(input) : undefined;
  return r?.ok === true && r.value.kind === 'hub-repo';
}

/**
 * `inspect` of a repository: every checkpoint in it with a one-line verdict and the loader it is
 * for; `--json` gives one entry per checkpoint with its inspect result. Headers only by default
 * (`--value-budget-mb N` turns value checks on).
 */
export async function inspectRepository(input: string, opts: { json: boolean; target?: string; budget?: number; noConfig: boolean }): Promise<number> {
  const ref = parseRemoteRef(input);
  if (!ref.ok || ref.value.kind !== 'hub-repo') {
    writeError(ref.ok ? `${input} is not a repository` : `${ref.error.code}: ${ref.error.message}`);
    return 2;
  }
  const listing = await listRepository(ref.value);
  const verdicts = await judgeCheckpoints(listing, openCheckpoint, (c) =>
    analyzeCheckpoint(c, { valueBudgetBytes: opts.budget ?? 0, ...(opts.target !== undefined ? { target: opts.target } : {}), ...(opts.noConfig ? { configDir: null } : {}) }),
  );
  if (opts.json) {
    const doc = {
      schemaVersion: 1,
      repository: listing.repo,
      revision: listing.revision,
      commit: listing.sha,
      path: ref.value.url,
      configs: listing.configs,
      checkpoints: verdicts.map((v) => {
        const base = { file: v.entry.file, url: v.entry.url, kind: v.entry.kind, size: v.entry.size, ...(v.entry.shards ? { shards: v.entry.shards } : {}), verdict: v.verdict, loader: v.loader };
        if (v.error) return { ...base, error: { code: v.error.code, message: v.error.message } };
        const doc = inspectDocument(v.checkpoint!);
        const { schemaVersion: _s, ...fields } = v.analysis ?? ({ schemaVersion: 1 } as const);
        return { ...base, inspect: { ...doc, ...fields } };
      }),
    };
    process.stdout.write(JSON.stringify(doc) + '\n');
  } else {
    const out: string[] = [`${listing.repo}@${safeText(listing.revision)} (commit ${listing.sha.slice(0, 12)}) — ${plural(verdicts.length, 'checkpoint')}`];
    for (const v of verdicts) {
      out.push(`  ${safeText(v.entry.file)}${v.entry.shards ? ` (+${v.entry.shards.length} shards)` : ''}  ${formatBytes(v.entry.size)}`);
      out.push(`    ${safeText(v.verdict)}`);
      if (v.loader) out.push(`    load with ${safeText(v.loader)}`);
      if (v.error) out.push(`    ${safeText(v.error.message)}`);
    }
    if (verdicts.length === 0) out.push('  (no .safetensors, PyTorch or GGUF files)');
    if (listing.configs.length) out.push(`  configs: ${listing.configs.map(safeText).join(', ')}`);
    out.push('', `Inspect one: checkpoint-lens inspect hf://${listing.repo}@${safeText(listing.revision)}/FILE`);
    process.stdout.write(out.join('\n') + '\n');
  }
  return verdicts.some((v) => v.error || (v.checkpoint && inspectDocument(v.checkpoint).hasErrors)) ? 1 : 0;
}
