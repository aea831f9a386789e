/**
 * The editor's first screen comes before the analysis (issue 13 item 13), through the real worker
 * (src/extension/worker.ts, loaded with tsx): `open` first answers a `partial` with the header,
 * the file's integrity problems, "checking…" and the first window of rows (all valid host
 * messages), then the checked model. A CLIP file's checked model brings a new tree (towers) with
 * its rows; a file whose analysis changes no row keeps the first screen's tree (`keepTree`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import type { OpenPartial } from '../../src/extension/workerProtocol.js';
import { tinyConfig, writeSyntheticClip } from '../../src/probe/syntheticCheckpoint.js';
import { parseHostMessage } from '../../src/shared/protocol.js';
import { realWorker } from '../helpers/realWorker.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-editor-first-screen-');
const { client, logs } = realWorker(dir);
const options = { target: 'auto', valueCheckBudgetBytes: 64 << 20 };

async function openInTwoSteps(key: string, path: string) {
  const events: string[] = [];
  let partial: OpenPartial | null = null;
  const final = await client.open(key, path, options, (p) => {
    events.push('partial');
    partial = p;
  });
  events.push('final');
  assert.ok(final.ok, final.ok ? '' : `${final.code}: ${final.message} ${logs.join('\n')}`);
  assert.ok(partial, 'a first screen before the checked model');
  return { partial: partial as OpenPartial, final, events };
}

test('a CLIP file: the first screen says checking… with the plain name tree and its rows; the checked model brings its towers and their rows', async () => {
  const path = join(dir, 'clip.safetensors');
  await writeSyntheticClip(path, tinyConfig(), { dtype: 'F32' });
  const { partial, final, events } = await openInTwoSteps('clip', path);
  assert.deepEqual(events, ['partial', 'final']);
  // What the webview gets first: a valid model message with its first window of rows.
  const first = parseHostMessage(JSON.parse(JSON.stringify({ type: 'model', model: partial.model, rows: partial.rows })));
  assert.ok(first, 'the first screen validates as a host message');
  assert.match(partial.model.checking ?? '', /checking the model/);
  assert.equal(partial.model.notChecked, undefined, 'checking, not "not checked"');
  assert.match(partial.model.probeUnavailable ?? '', /Checking the model first/);
  assert.equal(partial.model.family, null);
  assert.ok(partial.rows.rows.length > 0 && partial.rows.total > 0);
  assert.ok(!partial.rows.rows.some((r) => r.view.badge), 'no tower badge before the analysis');
  // The checked model: family and towers, a new tree with its own rows.
  assert.ok(final.ok);
  assert.equal(final.model.checking, undefined);
  assert.ok(final.model.family, 'the analysis named the family');
  assert.equal(final.keepTree, undefined);
  assert.ok(final.rows && final.rows.rows.some((r) => r.view.badge), 'tower rows come with the checked model');
  assert.notEqual(final.rows!.version, partial.rows.version, 'an answer of the first tree never passes for the new one');
  assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'model', model: final.model, rows: final.rows }))));
  // Row requests are answered from the checked tree.
  const rows = await client.tree('clip', 5, { kind: 'rows' }, 0, 10, -1);
  assert.equal(rows?.version, final.rows!.version);
});

test('a file the analysis changes no row of: the checked model keeps the first tree (header only)', async () => {
  const path = join(dir, 'plain.safetensors');
  const tensors = [];
  for (let l = 0; l < 30; l++) for (const k of ['self_attn.q_proj.weight', 'mlp.up_proj.weight']) tensors.push({ name: `model.layers.${l}.${k}`, dtype: 'F32' as const, shape: [4 + l, 4], data: new Uint8Array(new Float32Array((4 + l) * 4).map((_, i) => Math.sin(i + l) + 0.5).buffer) });
  await writeSafetensors(path, tensors);
  const { partial, final } = await openInTwoSteps('plain', path);
  assert.ok(final.ok);
  assert.equal(final.keepTree, true);
  assert.equal(final.rows, undefined, 'no rows: the webview keeps the ones it has');
  assert.equal(final.model.checking, undefined);
  assert.ok(final.model.notChecked, 'then "not checked", never ✓');
  assert.equal(final.model.nodeCount, partial.model.nodeCount);
  const rows = await client.tree('plain', 6, { kind: 'rows' }, 0, 10, -1);
  assert.equal(rows?.version, partial.rows.version, 'the same tree answers');
});
