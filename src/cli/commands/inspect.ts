import { openCheckpoint } from '../../formats/open.js';
import { inspectDocument, type InspectDocument } from '../../core/summary.js';
import { buildNameTree, renderNameTree } from '../../core/nameTree.js';
import { parseArgs } from '../args.js';
import { formatBytes, formatCount, safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';
import type { Checkpoint } from '../../core/checkpoint.js';

export const inspectCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, { booleans: ['json'] });
    const [file, ...extra] = args.positional;
    if (!file || extra.length) {
      writeError('usage: checkpoint-lens inspect FILE [--json]');
      return 2;
    }
    const r = await openCheckpoint(file);
    if (!r.ok) {
      writeError(`${r.error.code}: ${r.error.message}`);
      return 2;
    }
    const doc = inspectDocument(r.value);
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(doc) + '\n');
    else process.stdout.write(renderInspectText(doc, r.value));
    return doc.hasErrors ? 1 : 0;
  },
};

export function renderInspectText(doc: InspectDocument, c: Checkpoint): string {
  const out: string[] = [];
  out.push(`${safeText(doc.path)}`);
  out.push(`  format      ${doc.format}${doc.files.length > 1 ? ` (${doc.files.length} shards)` : ''}`);
  out.push(`  tensors     ${formatCount(doc.tensorCount)}${doc.unreadable.length ? ` (+${doc.unreadable.length} unreadable)` : ''}`);
  out.push(`  parameters  ${formatCount(doc.parameterCount)}`);
  out.push(`  bytes       ${formatCount(doc.byteCount)} (${formatBytes(doc.byteCount)})`);
  out.push(`  dtypes      ${Object.entries(doc.dtypes).map(([d, v]) => `${d} ${formatCount(v.parameters)}`).join(', ') || '-'}`);
  const md = Object.entries(doc.metadata);
  if (md.length) {
    out.push('  metadata');
    for (const [k, v] of md.slice(0, 50)) out.push(`    ${safeText(k)}: ${safeText(v.length > 200 ? v.slice(0, 200) + '…' : v)}`);
  }
  out.push('', 'Tensors');
  const tree = buildNameTree(c.tensors);
  for (const line of renderNameTree(tree, (n) => (n.tensor ? `  ${n.tensor.dtype} [${n.tensor.shape.join(', ')}]${n.repeat > 1 ? ` ×${n.repeat}` : ''}` : `  (${formatCount(n.tensorCount)} tensors, ${formatCount(n.parameters)} params${n.repeat > 1 ? `, ×${n.repeat}` : ''})`))) {
    out.push('  ' + safeText(line));
  }
  if (doc.problems.length) {
    out.push('', 'Problems');
    for (const p of doc.problems) {
      out.push(`  ${p.severity.toUpperCase().padEnd(7)} ${p.code}: ${safeText(p.message)}`);
      if (p.tensors?.length) out.push(`          ${p.tensors.slice(0, 5).map(safeText).join(', ')}${p.tensors.length > 5 ? ', …' : ''}`);
    }
  } else {
    out.push('', 'No integrity problems.');
  }
  return out.join('\n') + '\n';
}
