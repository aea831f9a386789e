import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { runCli } from '../helpers/cli.js';
import { rawSafetensors } from '../helpers/rawSafetensors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-cli-');

describe('checkpoint-lens inspect / stats', () => {
  it('inspect --json: stable document, exit 0 on a clean file', async () => {
    const p = join(dir, 'a.safetensors');
    await writeSafetensors(p, [{ name: 'w', dtype: 'F16', shape: [2, 2] }], { format: 'pt' });
    const r = runCli(['inspect', p, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    for (const k of ['format', 'tensorCount', 'parameterCount', 'byteCount', 'dtypes', 'metadata', 'tensors', 'problems']) assert.ok(k in doc, k);
    assert.equal(doc.tensors[0].name, 'w');
    assert.equal(doc.tensors[0].offsets[1] - doc.tensors[0].offsets[0], 8);
    assert.equal(doc.tensors[0].shard, null);
  });
  it('exit 1 when the checkpoint has error problems, 2 when unreadable, one clear stderr line', () => {
    const bad = join(dir, 'overlap.safetensors');
    writeFileSync(bad, rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8));
    assert.equal(runCli(['inspect', bad]).code, 1);
    const lfs = join(dir, 'lfs.safetensors');
    writeFileSync(lfs, 'version https://git-lfs.github.com/spec/v1\noid sha256:' + '0'.repeat(64) + '\nsize 12\n');
    const r = runCli(['inspect', lfs]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /git-lfs-pointer/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace without --debug');
  });
  it('bad usage exits 2', () => {
    assert.equal(runCli(['inspect']).code, 2);
    assert.equal(runCli(['inspect', 'x', '--bogus']).code, 2);
    assert.equal(runCli(['frobnicate']).code, 2);
  });
  it('hostile tensor names cannot inject terminal escapes', async () => {
    const p = join(dir, 'evil.safetensors');
    await writeSafetensors(p, [{ name: 'evil\u001b[2J\u001b]0;pwned\u0007\r\u202e', dtype: 'F32', shape: [1] }]);
    const r = runCli(['inspect', p]);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    assert.match(r.stdout, /evil\\u\{1b\}/);
  });
  it('stats --json for selected tensors; unknown tensor exits 2', async () => {
    const p = join(dir, 's.safetensors');
    await writeSafetensors(p, [{ name: 'x', dtype: 'F32', shape: [3], data: new Uint8Array(new Float32Array([1, 2, 6]).buffer) }, { name: 'y', dtype: 'F32', shape: [1] }]);
    const r = runCli(['stats', p, '--tensor', 'x', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.tensors.length, 1);
    assert.equal(doc.tensors[0].mean, 3);
    assert.equal(doc.tensors[0].max, 6);
    assert.equal(runCli(['stats', p, '--tensor', 'nope']).code, 2);
  });
});
