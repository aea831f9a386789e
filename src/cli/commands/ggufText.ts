import type { GgufFile } from '../../formats/gguf/file.js';
import { display } from '../../formats/gguf/header.js';
import type { GgufSummary } from '../../formats/gguf/understand.js';
import { formatBytes, formatCount, safeText } from '../output.js';

/** Rows of a text table, columns padded to the widest cell (cells already escaped). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

/** GGUF metadata as a table (key, type, value), values cut to one line. */
export function renderGgufMetadata(f: GgufFile, maxRows = 200): string[] {
  const rows = f.header.kv.slice(0, maxRows).map((kv) => [safeText(kv.key), kv.type === 'array' && typeof kv.value === 'object' ? `${kv.value.elementType}[${kv.value.length}]` : kv.type, safeText(display(kv.value, 100, kv.type).replace(/\s+/g, ' '))]);
  const out = ['', `Metadata (GGUF v${f.header.version}, ${f.header.kv.length} keys, alignment ${f.header.alignment})`, ...textTable(['key', 'type', 'value'], rows)];
  if (f.header.kv.length > maxRows) out.push(`  … ${f.header.kv.length - maxRows} more (use --json)`);
  return out;
}

export function renderGgufSummary(s: GgufSummary): string[] {
  const out: string[] = ['', 'Model (GGUF)'];
  out.push(`  architecture  ${safeText(s.architecture ?? '-')}${s.name ? `  (${safeText(s.name)})` : ''}`);
  if (s.fileType) out.push(`  file type     ${s.fileType}`);
  const m = s.model;
  const facts: string[] = [];
  if (m.contextLength !== undefined) facts.push(`context ${formatCount(m.contextLength)}`);
  if (m.embeddingLength !== undefined) facts.push(`embedding ${m.embeddingLength}`);
  if (m.blockCount !== undefined) facts.push(`${m.blockCount} blocks`);
  if (m.feedForwardLength !== undefined) facts.push(`feed-forward ${m.feedForwardLength}`);
  if (m.headCount !== undefined) facts.push(`heads ${m.headCount}${m.headCountKv !== undefined ? ` (KV ${m.headCountKv})` : ''}`);
  if (m.expertCount !== undefined) facts.push(`${m.expertCount} experts`);
  if (facts.length) out.push(`  shape         ${facts.join(', ')}`);
  const t = s.tokenizer;
  if (t) {
    const sp = Object.entries(t.specialTokens).map(([k, v]) => `${k} ${v.id}${v.text !== null ? ` ${safeText(JSON.stringify(v.text))}` : ''}`);
    out.push(`  tokenizer     ${safeText(t.model ?? '?')}, ${t.vocabularySize !== null ? `${formatCount(t.vocabularySize)} tokens` : 'no token list'}${t.merges !== null ? `, ${formatCount(t.merges)} merges` : ''}${t.chatTemplate ? ', chat template' : ''}`);
    if (sp.length) out.push(`  special       ${sp.join(', ')}`);
    if (t.tokenTypes) out.push(`  token types   ${Object.entries(t.tokenTypes).map(([k, n]) => `${k} ${formatCount(n)}`).join(', ')}`);
  }
  const p = s.parameters;
  out.push(`  parameters    ${formatCount(p.total)} in ${formatBytes(p.bytes)} (${p.bitsPerWeight.toFixed(2)} bits per weight)`);
  out.push(...textTable(['type', 'tensors', 'parameters', 'bytes', 'bits/weight'], p.byType.map((r) => [r.type, formatCount(r.tensors), formatCount(r.parameters), formatBytes(r.bytes), r.bitsPerWeight.toFixed(2)]), '    '));
  if (s.layout) out.push(`  layout        llama-style, ${s.layout.blocks} blocks, ${s.layout.checked} expected tensors checked: ${s.layout.missing.length} missing, ${s.layout.mismatched.length} mismatched; output ${s.layout.tiedOutput ? 'tied to token_embd' : 'separate'}`);
  const c = s.clip;
  if (c) {
    out.push(`  vision tower  ${c.hasVisionEncoder ? `${c.visionTensors} tensors${c.visionWidth ? `, width ${c.visionWidth}` : ''}${c.visionBlocks ? `, ${c.visionBlocks} blocks` : ''}${c.imageSize ? `, image ${c.imageSize}` : ''}${c.patchSize ? `, patch ${c.patchSize}` : ''}` : 'ABSENT'}`);
    out.push(`  projector     ${c.projectorTensors ? `${safeText(c.projectorType ?? '?')}, ${c.projectorTensors} tensors, output width ${c.projectorOutputWidth ?? '?'}` : 'ABSENT'}`);
    out.push(`  text tower    ${c.hasTextEncoder ? 'present' : 'none (projector file)'}`);
    if (c.languageModel) out.push(`  language model ${safeText(c.languageModel.path)} (${safeText(c.languageModel.architecture ?? '?')}, embedding ${c.languageModel.embeddingLength ?? '?'})`);
  }
  return out;
}
