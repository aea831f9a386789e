/**
 * In-host integration tests: run inside a real VS Code extension host (code-server here,
 * @vscode/test-electron on desktop). Fixtures are written into the test workspace.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { timmVitB16Tensors, writeDemoCheckpoint } from '../../../src/demo/demoCheckpoint.js';
import { bytesFile, GOOD_TOKEN, startHub, type HubStandIn, type VirtualFile } from '../../helpers/hubServer.js';
import type { CheckpointLensApi } from '../../../src/extension/extension.js';
import { clipTensorSpecs, writeClipFixture } from '../../helpers/clipFixtures.js';
import { copyFile, cp } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { writeSafetensors } from '../../../src/core/writeSafetensors.js';
import { tinyConfig, writeSyntheticClip } from '../../../src/probe/syntheticCheckpoint.js';
import type { CompareState, ProbeState } from '../../../src/shared/jobViews.js';

/** test/out/vscode/ → test/fixtures/ (the suite is bundled into test/out/vscode). */
const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

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
const codeValue = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);

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
    for (const c of ['checkpointLens.inspect', 'checkpointLens.showFindings', 'checkpointLens.setLoadTarget', 'checkpointLens.explainLoadingLog', 'checkpointLens.runProbe', 'checkpointLens.compareWith', 'checkpointLens.compareSelected', 'checkpointLens.compareWithHead'])
      assert.ok(all.includes(c), c);
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
    const d = diags.find((x) => codeValue(x) === 'text-tower-missing');
    assert.ok(d, diags.map((x) => String(codeValue(x))).join(','));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.source, 'Checkpoint Lens');
    // What the Problems panel shows: a one-line summary, the detail under it (related information).
    for (const x of diags) assert.ok(!x.message.includes('\n') && x.message.length <= 161, `one line: ${x.message}`);
    const related = (d.relatedInformation ?? []).map((r) => r.message);
    assert.ok(related.length > 0, 'the detail is under the summary');
    assert.ok((d.relatedInformation ?? []).every((r) => r.location.uri.toString() === demo.toString()));
    assert.ok(related.some((m) => /^\d+ tensors: /.test(m)), related.join(' | '));
    assert.equal(diags.length, ed.findings.length, 'one diagnostic per finding');
    assert.match(a.statusBarText(), /params/);
  });

  it('a Problems entry leads to the tensor and the docs: its code link reveals the editor, selects the tensor, opens the code entry', async () => {
    const a = await api();
    await vscode.commands.executeCommand('vscode.openWith', demo, a.viewType);
    await waitFor('ready', () => editorFor(a, demo)?.state === 'ready');
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(demo);
      return d.length ? d : undefined;
    });
    for (const d of diags) {
      assert.equal(typeof d.code, 'object', `code ${String(codeValue(d))} is a link`);
      const target = (d.code as { target: vscode.Uri }).target;
      assert.equal(target.scheme, 'command');
      assert.equal(target.path, 'checkpointLens.showCode');
    }
    const d = diags.find((x) => codeValue(x) === 'text-tower-missing')!;
    const target = (d.code as { target: vscode.Uri }).target;
    const args = JSON.parse(target.query) as [string, string, string | null];
    assert.equal(args[0], demo.toString());
    assert.equal(args[1], 'text-tower-missing');
    assert.ok(args[2], 'the finding names a tensor to select');
    // Focus elsewhere first, as after reading the Problems panel.
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    const opened = await vscode.commands.executeCommand<boolean>(target.path, ...args);
    await waitFor(`the editor to select ${args[2]}`, () => editorFor(a, demo)?.selected === args[2]);
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const index = JSON.parse(readFileSync(join(ext.extensionPath, 'dist', 'codeDocs.json'), 'utf8')) as Record<string, { file: string; line: number }>;
    const entry = index['text-tower-missing'];
    assert.equal(opened, !!entry, 'the docs open exactly when the code has an entry');
    if (entry) {
      const ed = vscode.window.activeTextEditor;
      assert.ok(ed && ed.document.uri.fsPath.endsWith(entry.file), ed?.document.uri.fsPath);
      assert.equal(ed.selection.active.line, entry.line - 1);
      assert.match(ed.document.lineAt(entry.line - 1).text, /`text-tower-missing`/);
    }
    // A code that has an entry in any tree: the bundled docs page opens at its heading.
    const local = index['not-a-local-file'];
    assert.ok(local, 'docs/codes has not-a-local-file');
    assert.equal(await vscode.commands.executeCommand<boolean>('checkpointLens.showCode', demo.toString(), 'not-a-local-file', null), true);
    const ed = vscode.window.activeTextEditor;
    assert.ok(ed && ed.document.uri.fsPath.endsWith(local.file), ed?.document.uri.fsPath);
    assert.equal(ed.selection.active.line, local.line - 1);
    assert.match(ed.document.lineAt(local.line - 1).text, /^### `not-a-local-file`/);
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

  it('Run Zero-Shot Probe: a vision-only checkpoint is at chance with the text tower random, report in the editor', async function () {
    this.timeout(120_000);
    const a = await api();
    const base = tinyConfig();
    const cfg = tinyConfig({ text: { ...base.text, vocabSize: 49408, contextLength: 77 }, vision: { ...base.vision, imageSize: 32, tokens: 17 } });
    const path = join(dir, 'tiny-vision-only.safetensors');
    await writeSyntheticClip(path, cfg, { dtype: 'F32', omit: ['text', 'logit_scale'] });
    const uri = vscode.Uri.file(path);
    const probeCfg = vscode.workspace.getConfiguration('checkpointLens.probe');
    await probeCfg.update('providers', ['cpu'], vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand('vscode.openWith', uri, a.viewType);
      await waitFor('ready', () => editorFor(a, uri)?.state === 'ready');
      const state = (await vscode.commands.executeCommand('checkpointLens.runProbe', uri)) as ProbeState | undefined;
      assert.ok(state && state.kind === 'done', JSON.stringify(state).slice(0, 500));
      assert.equal(state.probe.verdict.code, 'at-chance');
      assert.equal(state.probe.provider, 'cpu');
      assert.deepEqual(state.probe.attempts.map((x) => x.provider), ['cpu'], 'the provider setting is honoured');
      assert.ok(state.probe.randomInitialized.some((r) => r.tower === 'text' && r.whole));
      assert.equal(state.probe.perClass.length, 14);
      assert.equal(a.probeState(uri.toString())?.kind, 'done', 'the editor keeps the report');
    } finally {
      await probeCfg.update('providers', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Cancel Zero-Shot Probe stops a running probe of the ViT-B/16 demo within seconds', async function () {
    this.timeout(90_000);
    const a = await api();
    await vscode.commands.executeCommand('vscode.openWith', demo, a.viewType);
    await waitFor('ready', () => editorFor(a, demo)?.state === 'ready');
    const t0 = Date.now();
    const run = vscode.commands.executeCommand('checkpointLens.runProbe', demo) as Thenable<ProbeState | undefined>;
    await waitFor('the probe to run', () => a.probeState(demo.toString())?.kind === 'running', 30_000);
    await sleep(300);
    const tCancel = Date.now();
    assert.equal(await vscode.commands.executeCommand('checkpointLens.cancelProbe', demo), 1);
    const state = await run;
    assert.equal(state?.kind, 'cancelled', JSON.stringify(state).slice(0, 300));
    const stopMs = Date.now() - tCancel;
    // Stops at the probe's next check, or the worker is terminated after the 5 s grace.
    assert.ok(stopMs < 15_000, `stopped ${stopMs} ms after Cancel`);
    console.log(`    probe cancelled ${stopMs} ms after Cancel (${Date.now() - t0} ms after start)`);
    assert.equal(a.probeState(demo.toString())?.kind, 'cancelled');
  });

  it('Compare With… and Compare Selected open a comparison with the differences', async () => {
    const a = await api();
    const pa = join(dir, 'cmp-a.safetensors');
    const pb = join(dir, 'cmp-b.safetensors');
    await writeSafetensors(pa, [
      { name: 'w', dtype: 'F32', shape: [4], data: f32(1, 2, 3, 4) },
      { name: 'same', dtype: 'F32', shape: [2], data: f32(5, 6) },
      { name: 'dropped', dtype: 'F32', shape: [1], data: f32(7) },
    ]);
    await writeSafetensors(pb, [
      { name: 'w', dtype: 'F32', shape: [4], data: f32(1, 2, 3, 4.5) },
      { name: 'same', dtype: 'F32', shape: [2], data: f32(5, 6) },
    ]);
    const s1 = (await vscode.commands.executeCommand('checkpointLens.compareWith', vscode.Uri.file(pa), vscode.Uri.file(pb))) as CompareState | undefined;
    assert.ok(s1 && s1.kind === 'done', JSON.stringify(s1).slice(0, 500));
    assert.equal(s1.view.equivalent, false);
    assert.equal(s1.view.counts.different, 1);
    assert.equal(s1.view.counts.identical, 1);
    assert.equal(s1.view.counts.onlyA, 1);
    assert.equal(s1.view.worst[0]?.key, 'w');
    assert.ok(a.comparisons().some((c) => c.state.kind === 'done'), 'the panel is open');
    const s2 = (await vscode.commands.executeCommand('checkpointLens.compareSelected', vscode.Uri.file(pa), [vscode.Uri.file(pa), vscode.Uri.file(pa)])) as CompareState | undefined;
    assert.ok(s2 && s2.kind === 'done' && s2.view.equivalent, 'a file equals itself');
    const none = await vscode.commands.executeCommand('checkpointLens.compareSelected', vscode.Uri.file(pa), [vscode.Uri.file(pa)]);
    assert.equal(none, undefined, 'one selected file: nothing to compare');
  });

  it('Compare with HEAD: the committed version vs the working file; an LFS pointer in HEAD is explained', async function () {
    this.timeout(60_000);
    await api();
    const repo = join(dir, 'repo');
    await mkdir(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repo });
    git('init', '-q');
    const p = join(repo, 'model.safetensors');
    await writeSafetensors(p, [{ name: 'w', dtype: 'F32', shape: [3], data: f32(1, 2, 3) }]);
    const ptr = join(repo, 'lfs.safetensors');
    await writeFile(ptr, `version https://git-lfs.github.com/spec/v1\noid sha256:${'b'.repeat(64)}\nsize 1234\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'init');
    await writeSafetensors(p, [{ name: 'w', dtype: 'F32', shape: [3], data: f32(1, 2, 30) }]);
    await writeSafetensors(ptr, [{ name: 'w', dtype: 'F32', shape: [1], data: f32(1) }]);
    const s = (await vscode.commands.executeCommand('checkpointLens.compareWithHead', vscode.Uri.file(p))) as CompareState | undefined;
    assert.ok(s && s.kind === 'done', JSON.stringify(s).slice(0, 500));
    assert.equal(s.view.a.label, 'HEAD:model.safetensors');
    assert.equal(s.view.counts.different, 1);
    const l = (await vscode.commands.executeCommand('checkpointLens.compareWithHead', vscode.Uri.file(ptr))) as CompareState | undefined;
    assert.ok(l && l.kind === 'error', JSON.stringify(l).slice(0, 500));
    assert.equal(l.code, 'git-lfs-pointer');
    assert.match(l.message, /git lfs pull[\s\S]*HEAD stores this file in Git LFS/);
    const outside = (await vscode.commands.executeCommand('checkpointLens.compareWithHead', vscode.Uri.file(join(dir, 'cmp-a.safetensors')))) as CompareState | undefined;
    assert.ok(outside && outside.kind === 'error' && /not-in-(git|head)/.test(outside.code), JSON.stringify(outside));
  });

  it('PyTorch files: a .bin, a .ckpt with extras and a sharded pytorch_model.bin.index.json open in the PyTorch editor', async () => {
    const a = await api();
    const bin = join(dir, 'basic.bin');
    const ckpt = join(dir, 'training.ckpt');
    await copyFile(join(FIXTURES, 'pytorch', 'basic.pt'), bin);
    await copyFile(join(FIXTURES, 'pytorch', 'training.pt'), ckpt);
    await cp(join(FIXTURES, 'pytorch', 'sharded'), join(dir, 'sharded-pt'), { recursive: true });
    const index = join(dir, 'sharded-pt', 'pytorch_model.bin.index.json');
    for (const p of [bin, ckpt, index]) {
      const uri = vscode.Uri.file(p);
      await vscode.commands.executeCommand('vscode.openWith', uri, 'checkpointLens.editor.pytorch');
      const ed = await waitFor(`${p} settled`, () => {
        const e = editorFor(a, uri);
        return e && e.state !== 'loading' && e.state !== 'checking' ? e : undefined;
      });
      assert.equal(ed.state, 'ready', `${p}: ${ed.findings.join(',')}`);
      assert.ok((ed.tensorCount ?? 0) > 0);
      if (p === ckpt) assert.deepEqual(ed.extras.sort(), ['args', 'optimizer', 'state_dict_ema']);
    }
  });

  it('Explain Loading Log opens a Markdown explanation', async () => {
    await api();
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('checkpointLens.explainLoadingLog', 'Missing key(s) in state_dict: "token_embedding.weight", "positional_embedding".');
    assert.equal(doc?.languageId, 'markdown');
    assert.match(doc.getText(), /Loading log, explained[\s\S]*2 missing/);
    // Rendered: the Markdown preview is open (a webview tab), not only the source.
    await waitFor('the rendered preview', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && /preview/i.test(t.label)));
    // No argument and no selection: a multi-line log in the active editor is explained whole (newlines kept).
    const multi = 'Some weights of the model checkpoint were not used when initializing CLIPModel: [\'a.weight\']\n- This IS expected\nsize mismatch for visual.proj: copying a param with shape torch.Size([768, 512]) from checkpoint, the shape in current model is torch.Size([512, 768]).\n';
    const logDoc = await vscode.workspace.openTextDocument({ language: 'log', content: multi });
    await vscode.window.showTextDocument(logDoc);
    const md2 = await vscode.commands.executeCommand<vscode.TextDocument>('checkpointLens.explainLoadingLog');
    assert.match(md2?.getText() ?? '', /\*\*1 shape-mismatched\*\*/);
    assert.match(md2?.getText() ?? '', /transposed/);
  });
});

/**
 * Hugging Face Hub in the editor (docs/remote.md), against the loopback Hub stand-in the unit tests
 * use. `npm run test:vscode` passes HF_ENDPOINT=http://127.0.0.1:PORT to code-server, so the
 * extension host and its worker threads see it from the start; the stand-in listens on that port.
 * Without it (another runner), the stand-in takes any port and HF_ENDPOINT is set here, which
 * workers started afterwards see.
 */
describe('Checkpoint Lens in the extension host: Hugging Face Hub', function () {
  this.timeout(120_000);
  let hub: HubStandIn;
  let timmLocal: string;
  let tinyLocal: string;
  let timmFd: number | undefined;

  before(async () => {
    const dir = join(ws(), 'fixtures', 'hub');
    await mkdir(dir, { recursive: true });
    // The timm ViT-B/16 layout (vision only, as in the seed case), header + zeros (sparse on disk).
    timmLocal = join(dir, 'timm-model.safetensors');
    await writeSafetensors(timmLocal, timmVitB16Tensors().map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape })), { format: 'pt' });
    tinyLocal = join(dir, 'tiny.safetensors');
    await writeSyntheticClip(tinyLocal, tinyConfig(), { dtype: 'F32', omit: ['text', 'logit_scale'] });
    const m = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(process.env.HF_ENDPOINT ?? '');
    hub = await startHub({ hubPort: m ? Number(m[1]) : 0 });
    if (!m) process.env.HF_ENDPOINT = hub.endpoint;
    process.env.CHECKPOINT_LENS_CACHE_DIR ??= join(dir, 'cache');
    const fd = openSync(timmLocal, 'r');
    timmFd = fd;
    const timm: VirtualFile = {
      size: fstatSync(fd).size,
      read(s, e) {
        const b = Buffer.alloc(e - s);
        readSync(fd, b, 0, e - s, s);
        return b;
      },
    };
    const tiny = bytesFile(readFileSync(tinyLocal));
    hub.repos.set('timm/vit-test', { sha: 'a1'.repeat(20), files: { 'model.safetensors': timm, 'config.json': bytesFile(Buffer.from('{"architecture":"vit_base_patch16_clip_224"}')) } });
    hub.repos.set('org/gated', { sha: 'b2'.repeat(20), gated: true, files: { 'model.safetensors': tiny } });
    hub.repos.set('org/tiny', { sha: 'c3'.repeat(20), files: { 'tiny.safetensors': tiny } });
  });
  after(async () => {
    await vscode.commands.executeCommand('checkpointLens.clearHubToken');
    await hub?.close();
    if (timmFd !== undefined) closeSync(timmFd);
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** Runs a command that shows a quick pick, accepting its first item whenever one is open. */
  async function acceptingQuickPicks<T>(run: Thenable<T>): Promise<T> {
    let settled = false;
    const p = Promise.resolve(run).finally(() => (settled = true));
    const end = Date.now() + 60_000;
    while (!settled && Date.now() < end) {
      await sleep(300);
      if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    return p;
  }

  it('Open from Hugging Face Hub: a repo id lists its checkpoint, the pick opens read-only by ranges with the local file’s tensors and findings', async () => {
    const a = await api();
    const res = await acceptingQuickPicks(vscode.commands.executeCommand<vscode.Uri | { code: string; message: string } | undefined>('checkpointLens.openFromHub', 'timm/vit-test'));
    assert.ok(res instanceof vscode.Uri, `opened an editor: ${JSON.stringify(res)}`);
    assert.equal(res.scheme, 'checkpoint-lens-hub');
    assert.equal(vscode.workspace.fs.isWritableFileSystem('checkpoint-lens-hub'), false, 'Hub files are read-only');
    assert.match(res.path, /\/timm\/vit-test\/resolve\/a1a1[0-9a-f]*\/model\.safetensors$/, 'pinned to the commit the listing saw');
    const ed = await waitFor('the Hub editor to settle', () => {
      const e = editorFor(a, res);
      return e && e.state !== 'loading' && e.state !== 'checking' ? e : undefined;
    }, 60_000);
    assert.equal(ed.state, 'ready', ed.findings.join(','));
    assert.equal(ed.tensorCount, timmVitB16Tensors().length);
    assert.ok(ed.findings.includes('text-tower-missing'), ed.findings.join(','));
    const diags = await waitFor('diagnostics on the Hub URI', () => {
      const d = vscode.languages.getDiagnostics(res);
      return d.length ? d : undefined;
    });
    assert.ok(diags.some((d) => codeValue(d) === 'text-tower-missing'));
    // The same file opened locally gives the same findings.
    const local = vscode.Uri.file(timmLocal);
    await vscode.commands.executeCommand('vscode.openWith', local, a.viewType);
    const led = await waitFor('the local editor', () => {
      const e = editorFor(a, local);
      return e?.state === 'ready' ? e : undefined;
    }, 60_000);
    assert.deepEqual([...ed.findings].sort(), [...led.findings].sort());
    // Read by ranges: the CDN sent far less than the file, always ranged, never with a token.
    const size = hub.repos.get('timm/vit-test')!.files['model.safetensors']!.size;
    assert.ok(hub.bytesSent.cdn < size / 4, `${hub.bytesSent.cdn} of ${size} bytes fetched`);
    assert.ok(hub.log.filter((l) => l.server === 'cdn').every((l) => l.range && !l.auth), JSON.stringify(hub.log.slice(0, 5)));
  });

  it('a gated repository without a token says how to set one; the token set with Set Hugging Face Token is used and shown nowhere', async () => {
    const a = await api();
    await vscode.commands.executeCommand('checkpointLens.clearHubToken');
    hub.reset();
    const e = await vscode.commands.executeCommand<{ code: string; message: string }>('checkpointLens.openFromHub', 'org/gated');
    assert.equal(e?.code, 'remote-gated', JSON.stringify(e));
    assert.match(e.message, /Set Hugging Face Token/);
    // A file URL opens an editor that says the same.
    const uri = await vscode.commands.executeCommand<vscode.Uri>('checkpointLens.openFromHub', 'hf://org/gated/model.safetensors');
    assert.ok(uri instanceof vscode.Uri);
    const failed = await waitFor('the gated editor to fail', () => {
      const x = editorFor(a, uri);
      return x?.state === 'failed' ? x : undefined;
    }, 60_000);
    assert.deepEqual(failed.findings, ['remote-gated']);
    assert.match(a.modelText(uri.toString()) ?? '', /Set Hugging Face Token/);
    assert.ok(hub.log.every((l) => !l.auth), 'no token was sent');
    // Set the token: the open editor reloads and reads the file with it.
    await vscode.commands.executeCommand('checkpointLens.setHubToken', GOOD_TOKEN);
    const ready = await waitFor('the gated editor to reload with the token', () => {
      const x = editorFor(a, uri);
      return x?.state === 'ready' ? x : undefined;
    }, 60_000).catch((e: unknown) => {
      // Say what the editor and the Hub saw (the log never holds the token: asserted below).
      const x = editorFor(a, uri);
      throw new Error(`${e instanceof Error ? e.message : String(e)}; editor: ${x?.state} ${JSON.stringify(x?.findings)}; hub: ${JSON.stringify(hub.log.slice(-8).map((l) => [l.server, l.auth ? 'auth' : '-', l.path]))}; log: ${a.logText().slice(-1500)}`);
    });
    assert.ok((ready.tensorCount ?? 0) > 0);
    assert.ok(hub.log.some((l) => l.server === 'hub' && l.auth === `Bearer ${GOOD_TOKEN}`), 'the Hub got the token');
    assert.ok(hub.log.filter((l) => l.server === 'cdn').every((l) => !l.auth), 'the CDN never gets the token');
    // The listing works with it too.
    const listed = await acceptingQuickPicks(vscode.commands.executeCommand<unknown>('checkpointLens.openFromHub', 'org/gated'));
    assert.ok(listed instanceof vscode.Uri, JSON.stringify(listed));
    // The token is in no webview model, diagnostic, output line or error.
    const everywhere = [
      a.modelText(uri.toString()) ?? '',
      ...a.editors().map((x) => a.modelText(x.uri) ?? ''),
      JSON.stringify(vscode.languages.getDiagnostics().map(([u, ds]) => [u.toString(), ds.map((d) => [d.message, String(codeValue(d)), d.relatedInformation?.map((r) => r.message)])])),
      a.logText(),
      JSON.stringify(e),
      a.statusBarText(),
    ].join('\n');
    assert.ok(!everywhere.includes(GOOD_TOKEN), 'the token leaked');
    assert.ok(!everywhere.includes('testTOKEN'), 'part of the token leaked');
    assert.ok(a.logText().length > 0, 'the output channel was written to');
  });

  it('Compare with Hugging Face Hub File: a local copy of a Hub file is identical value for value', async () => {
    const a = await api();
    const s = (await vscode.commands.executeCommand('checkpointLens.compareWithHub', vscode.Uri.file(tinyLocal), 'hf://org/tiny/tiny.safetensors')) as CompareState | undefined;
    assert.ok(s && s.kind === 'done', JSON.stringify(s).slice(0, 500));
    assert.equal(s.view.equivalent, true);
    assert.equal(s.view.counts.different, 0);
    assert.equal(s.view.counts.onlyA, 0);
    assert.equal(s.view.counts.onlyB, 0);
    assert.ok(s.view.counts.identical > 0);
    assert.match(s.view.a.label, /^hf:org\/tiny\/resolve\/[^/]+\/tiny\.safetensors$/);
    assert.ok(a.comparisons().some((c) => c.state.kind === 'done'));
    assert.ok(hub.log.some((l) => l.server === 'cdn' && l.path.endsWith('/tiny.safetensors')), 'read from the Hub');
  });
});
