/**
 * Editor glue for Hugging Face Hub checkpoints (thin: the core does the work).
 * - "Open from Hugging Face Hub…": repo id or URL → pick a checkpoint → the same custom editor,
 *   read-only, on a `checkpoint-lens-hub:` URI that maps back to the file's URL.
 * - "Compare with Hugging Face Hub File…": a local checkpoint against a Hub one (streamed by ranges).
 * - "Set / Clear Hugging Face Token": kept in SecretStorage, handed to the worker threads on request.
 */
import * as vscode from 'vscode';
import { hubFileUrl, parseRemoteRef } from '../remote/ref.js';
import { judgeCheckpoints, listRepository } from '../remote/listing.js';
import { withRemoteContext } from '../remote/http.js';
import { setTokenProvider } from '../remote/config.js';
import { serveHubToken } from '../remote/tokenChannel.js';
import { clearRemoteSources } from '../remote/source.js';
import { clearHubMemo } from '../remote/hub.js';
import { CheckpointLensError } from '../core/result.js';
import { formatBytes } from '../core/format.js';
import { forEditor } from './editorWording.js';

export const HUB_SCHEME = 'checkpoint-lens-hub';
const SECRET_KEY = 'checkpointLens.huggingFaceToken';
const MAX_JUDGED_FILES = 32;

/** The URI an editor opens for a remote file URL (its path keeps the file name for titles and selectors). */
export function hubUri(url: string): vscode.Uri {
  const u = new URL(url);
  return vscode.Uri.from({ scheme: HUB_SCHEME, authority: u.host, path: u.pathname, query: u.protocol === 'http:' ? 'http' : '' });
}

/** What the readers get for an editor URI: a local path, a remote URL, or undefined (unsupported scheme). */
export function checkpointPathOf(uri: vscode.Uri): string | undefined {
  if (uri.scheme === 'file') return uri.fsPath;
  if (uri.scheme === HUB_SCHEME) return `${uri.query === 'http' ? 'http' : 'https'}://${uri.authority}${uri.path}`;
  return undefined;
}

/** VS Code needs a file system for the scheme to open an editor on it; ours only says "a read-only file". */
class HubFileSystem implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }
  stat(): vscode.FileStat {
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
  }
  readDirectory(): [string, vscode.FileType][] {
    return [];
  }
  readFile(): Uint8Array {
    throw vscode.FileSystemError.NoPermissions('Hub checkpoints are read by Checkpoint Lens by ranges; they are not downloaded.');
  }
  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  writeFile(): void {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  delete(): void {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
  rename(): void {
    throw vscode.FileSystemError.NoPermissions('read-only');
  }
}

export interface HubCommandDeps {
  readonly context: vscode.ExtensionContext;
  readonly openEditor: (uri: vscode.Uri) => Promise<void>;
  readonly compare: (a: { path: string; label: string }, b: { path: string; label: string }) => Promise<unknown>;
  readonly activeLocalUri: () => vscode.Uri | undefined;
  /** Reloads the open Hub editors (after the token changed). */
  readonly reloadRemote: () => void;
}

/** A Hub error as the commands return it (for callers and tests) after showing it. */
export interface HubCommandError {
  readonly code: string;
  readonly message: string;
}

const showHubError = (code: string, message: string): HubCommandError => {
  const m = forEditor(message);
  void vscode.window.showErrorMessage(`Checkpoint Lens: ${code}: ${m}`);
  return { code, message: m };
};

/** Asks for a repo id / URL and returns the chosen checkpoint's URL (undefined when cancelled; the error, shown, when it failed). */
async function pickHubFile(title: string, initial?: string): Promise<string | HubCommandError | undefined> {
  const input = initial ?? (await vscode.window.showInputBox({ title, prompt: 'Repository id (ORG/NAME), hf://ORG/NAME[@REV][/FILE], or a huggingface.co URL', placeHolder: 'timm/vit_base_patch16_clip_224.openai', ignoreFocusOut: true }));
  if (!input) return undefined;
  const text = /^[\w.-]+\/[\w.-]+(@[^/]+)?$/.test(input.trim()) ? `hf://${input.trim()}` : input.trim();
  const ref = parseRemoteRef(text);
  if (!ref.ok) return showHubError(ref.error.code, ref.error.message);
  if (ref.value.kind !== 'hub-repo') return ref.value.url;
  const repoRef = ref.value;
  try {
    const { listing, verdicts } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reading ${repoRef.repo}…`, cancellable: true }, async (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return withRemoteContext({ signal: ac.signal }, async () => {
        const l = await listRepository(repoRef);
        // The listing as a view: each checkpoint's one-line verdict (headers only). Small repositories
        // only, since this runs on the extension host; larger ones are listed by name and size.
        const files = l.checkpoints.reduce((a, c) => a + (c.shards?.length ?? 1), 0);
        if (files > MAX_JUDGED_FILES) return { listing: l, verdicts: undefined };
        // Loaded on first use: the readers and the analysis stay out of activation.
        const [{ openCheckpoint }, { analyzeCheckpoint }] = await Promise.all([import('../formats/open.js'), import('../analysis/analyze.js')]);
        const v = await judgeCheckpoints(l, openCheckpoint, (c) => analyzeCheckpoint(c, { valueBudgetBytes: 0 }));
        return { listing: l, verdicts: v };
      });
    });
    if (listing.checkpoints.length === 0) {
      void vscode.window.showWarningMessage(`Checkpoint Lens: ${listing.repo}@${listing.revision} holds no .safetensors, PyTorch or GGUF file.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      listing.checkpoints.map((c, i) => {
        const v = verdicts?.[i];
        // Pinned to the commit listed and judged (the title names it), not to a branch that may move.
        return { label: c.file, description: `${c.kind}${c.shards ? `, ${c.shards.length} shards` : ''}, ${formatBytes(c.size)}`, detail: v ? `${v.verdict}${v.loader ? ` · ${v.loader}` : ''}` : undefined, url: hubFileUrl(listing.endpoint, listing.repo, listing.sha, c.file) };
      }),
      { title: `${listing.repo}@${listing.revision} (commit ${listing.sha.slice(0, 12)})`, placeHolder: 'Checkpoint to open (read by ranges: only headers are fetched)', matchOnDetail: true },
    );
    return pick?.url;
  } catch (e) {
    const code = e instanceof CheckpointLensError ? e.code : 'remote-error';
    if (code === 'remote-cancelled') return undefined;
    return showHubError(code, e instanceof Error ? e.message : String(e));
  }
}

export function registerHubCommands(d: HubCommandDeps): vscode.Disposable[] {
  const secrets = d.context.secrets;
  const token = async () => (await secrets.get(SECRET_KEY)) || undefined;
  setTokenProvider(token);
  const served = serveHubToken(token);
  const forget = () => {
    clearRemoteSources();
    clearHubMemo();
    served.changed();
    d.reloadRemote();
  };
  return [
    vscode.workspace.registerFileSystemProvider(HUB_SCHEME, new HubFileSystem(), { isReadonly: true, isCaseSensitive: true }),
    served,
    { dispose: () => setTokenProvider(undefined) },
    secrets.onDidChange((e) => e.key === SECRET_KEY && forget()),
    // Returns the editor's URI, the error it showed, or undefined when cancelled.
    vscode.commands.registerCommand('checkpointLens.openFromHub', async (input?: string): Promise<vscode.Uri | HubCommandError | undefined> => {
      const url = await pickHubFile('Open from Hugging Face Hub', typeof input === 'string' ? input : undefined);
      if (typeof url !== 'string') return url;
      const uri = hubUri(url);
      await d.openEditor(uri);
      return uri;
    }),
    vscode.commands.registerCommand('checkpointLens.compareWithHub', async (arg?: unknown, input?: string) => {
      const local = arg instanceof vscode.Uri && arg.scheme === 'file' ? arg : d.activeLocalUri();
      if (!local) {
        void vscode.window.showWarningMessage('Checkpoint Lens: select a local checkpoint (Explorer or an open editor) to compare with a Hub file.');
        return undefined;
      }
      const url = await pickHubFile(`Compare ${vscode.workspace.asRelativePath(local, false)} with a Hub file`, typeof input === 'string' ? input : undefined);
      if (typeof url !== 'string') return url;
      // The Hub file is the reference (A): "what did my conversion change?".
      return d.compare({ path: url, label: url.replace(/^https?:\/\/[^/]+\//, 'hf:') }, { path: local.fsPath, label: vscode.workspace.asRelativePath(local, false) });
    }),
    // `value`: for scripts and tests (the palette asks, masked). It is stored, never logged.
    vscode.commands.registerCommand('checkpointLens.setHubToken', async (value?: unknown) => {
      const t = typeof value === 'string' ? value : await vscode.window.showInputBox({ title: 'Hugging Face token', prompt: 'A read token from huggingface.co/settings/tokens; stored in VS Code SecretStorage, sent only to the Hub endpoint.', password: true, ignoreFocusOut: true });
      if (t === undefined) return;
      if (t.trim()) await secrets.store(SECRET_KEY, t.trim());
      else await secrets.delete(SECRET_KEY);
      forget();
    }),
    vscode.commands.registerCommand('checkpointLens.clearHubToken', async () => {
      await secrets.delete(SECRET_KEY);
      forget();
    }),
  ];
}
