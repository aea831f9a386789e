/**
 * In-host integration tests: run inside a real VS Code extension host (code-server here,
 * @vscode/test-electron on desktop). Fixtures are written into the test workspace.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { writeDemoCheckpoint } from '../../../src/demo/demoCheckpoint.js';
import type { CheckpointLensApi } from '../../../src/extension/extension.js';
import { clipTensorSpecs, writeClipFixture } from '../../helpers/clipFixtures.js';

const EXT_ID = 'checkpoint-lens.checkpoint-lens';
let scratch: string | undefined;
/** The test workspace (a temp folder when VS Code was started without one). */
const ws = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? (scratch ??= mkdtempSync(join(tmpdir(), 'cl-inhost-')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(): Promise<CheckpointLensApi> {
  const ext = vscode.extensions.getExtension<CheckpointLensApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const editorFor = (a: CheckpointLensApi, uri: vscode.Uri) => a.editors().find((e) => e.uri === uri.toString());

describe('Checkpoint Lens in the extension host', function () {
  let dir: string;
  let demo: vscode.Uri;

  before(async () => {
    dir = join(ws(), 'fixtures');
    await mkdir(dir, { recursive: true });
    demo = vscode.Uri.file(await writeDemoCheckpoint(join(dir, 'demo')));
    await vscode.workspace.getConfiguration('checkpointLens').update('reloadDebounceMs', 100, vscode.ConfigurationTarget.Global);
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('registers its commands', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const c of ['checkpointLens.inspect', 'checkpointLens.showFindings', 'checkpointLens.setLoadTarget', 'checkpointLens.explainLoadingLog']) assert.ok(all.includes(c), c);
  });

  it('opens the demo in the custom editor with the text-tower finding in the Problems panel', async () => {
    const a = await api();
    await vscode.commands.executeCommand('vscode.openWith', demo, a.viewType);
    const ed = await waitFor('the demo editor to be ready', () => {
      const e = editorFor(a, demo);
      return e?.state === 'ready' ? e : undefined;
    });
    assert.equal(ed.tensorCount, 153);
    assert.ok(ed.findings.includes('text-tower-missing'), ed.findings.join(','));
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(demo);
      return d.length ? d : undefined;
    });
    const d = diags.find((x) => x.code === 'text-tower-missing');
    assert.ok(d, diags.map((x) => String(x.code)).join(','));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.source, 'Checkpoint Lens');
    assert.equal(diags.length, ed.findings.length, 'one diagnostic per finding');
    assert.match(a.statusBarText(), /params/);
  });

  it('Set Load Target re-analyses against the chosen target', async () => {
    const a = await api();
    await vscode.commands.executeCommand('vscode.openWith', demo, a.viewType);
    await waitFor('ready', () => editorFor(a, demo)?.state === 'ready');
    await vscode.commands.executeCommand('checkpointLens.setLoadTarget', 'timm:vit_base_patch16_clip_224');
    const ed = await waitFor('reload with the timm target', () => {
      const e = editorFor(a, demo);
      return e?.state === 'ready' && e.target === 'timm:vit_base_patch16_clip_224' ? e : undefined;
    });
    assert.ok(!ed.findings.includes('text-tower-missing'), `a vision-only target expects no text tower: ${ed.findings.join(',')}`);
  });

  it('a complete model shows no findings (settings honoured: value checks off)', async () => {
    const a = await api();
    const cfg = vscode.workspace.getConfiguration('checkpointLens');
    await cfg.update('valueCheckBudgetMB', 0, vscode.ConfigurationTarget.Global);
    try {
      const complete = vscode.Uri.file(await writeClipFixture(dir, 'complete-vit-b-16.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16')));
      await vscode.commands.executeCommand('vscode.openWith', complete, a.viewType);
      const ed = await waitFor('complete model ready', () => {
        const e = editorFor(a, complete);
        return e?.state === 'ready' ? e : undefined;
      });
      assert.deepEqual(ed.findings, []);
      assert.deepEqual(vscode.languages.getDiagnostics(complete), []);
    } finally {
      await cfg.update('valueCheckBudgetMB', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('reloads on change: truncated and deleted files show a clear state', async () => {
    const a = await api();
    const path = join(dir, 'changing.safetensors');
    const src = await writeDemoCheckpoint(join(dir, 'changing'));
    const { readFile } = await import('node:fs/promises');
    await writeFile(path, await readFile(src));
    const uri = vscode.Uri.file(path);
    await vscode.commands.executeCommand('vscode.openWith', uri, a.viewType);
    await waitFor('ready', () => editorFor(a, uri)?.state === 'ready');
    await truncate(path, 100);
    const t = await waitFor('truncated state', () => {
      const e = editorFor(a, uri);
      return e?.state === 'failed' ? e : undefined;
    });
    assert.ok(t.findings.some((c) => /exceeds-file|too-small|truncat/.test(c)), t.findings.join(','));
    await rm(path);
    await waitFor('deleted state', () => editorFor(a, uri)?.findings.includes('file-not-found'));
  });

  it('Explain Loading Log opens a Markdown explanation', async () => {
    await api();
    await vscode.commands.executeCommand('checkpointLens.explainLoadingLog', 'Missing key(s) in state_dict: "token_embedding.weight", "positional_embedding".');
    const doc = await waitFor('markdown editor', () => vscode.window.activeTextEditor?.document);
    assert.equal(doc.languageId, 'markdown');
    assert.match(doc.getText(), /Loading log, explained[\s\S]*2 missing/);
  });
});
