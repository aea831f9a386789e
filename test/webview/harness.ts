import assert from 'node:assert/strict';
/**
 * Loads the built webview bundle (dist/webview.js + media/editor.css) in headless Debian Chromium
 * with the exact HTML and CSP the extension serves, and a fake VS Code host:
 *  - `acquireVsCodeApi()` records what the webview posts (window.__sent);
 *  - the test delivers host messages with window.postMessage, as VS Code does;
 *  - CSP violations and uncaught errors are recorded (window.__csp, window.__errors);
 *  - a `model` message with a whole ViewModel is turned into what the extension host sends (the
 *    header), and the fake host answers the webview's `tree` requests with the same TreeSession
 *    code the extension host runs.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webviewHtml } from '../../src/extension/html.js';
import { isViewModel, parseWebviewMessage, type HostMessage, type ViewModel } from '../../src/shared/protocol.js';
import { TreeSession } from '../../src/shared/treeRows.js';

/**
 * What a test may send: a host message, or a whole model (the fake host keeps its tree and answers
 * row requests). `firstRows`: the model carries its first window of rows, as the extension host
 * sends it; `keepTree`: only the header changes and the tree shown stays (the analysis finished).
 */
export type TestHostMessage = HostMessage | { readonly type: 'model'; readonly model: ViewModel; readonly firstRows?: boolean; readonly keepTree?: boolean };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = process.cwd();

export interface Harness {
  readonly page: Page;
  readonly origin: string;
  send(m: TestHostMessage | unknown): Promise<void>;
  /** What the (fake) host delivered to the webview: type, whether it carried a whole tree, rows per answer. */
  delivered(): { type: string; hasRoots: boolean; rows: number }[];
  sent(): Promise<unknown[]>;
  cspViolations(): Promise<string[]>;
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

// Dark-theme subset of the variables VS Code injects into webviews.
const THEME: Record<string, string> = {
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-font-family': 'sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': 'monospace',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-errorForeground': '#f48771',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-badge-background': '#4d4d4d',
  '--vscode-badge-foreground': '#ffffff',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-focusBorder': '#007fd4',
};

/**
 * What VS Code's webview host applies to every webview before the extension's own CSS (in a
 * cascade layer, so any rule of ours wins), reduced to the rules our page meets: `code` elements
 * (the finding code chips) get the theme's preformatted-text colours, links the link colour.
 */
const VSCODE_DEFAULT_CSS = `@layer vscode-default {
  body { color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }
  a, a code { color: var(--vscode-textLink-foreground); }
  code { color: var(--vscode-textPreformat-foreground); background-color: var(--vscode-textPreformat-background); padding: 1px 3px; border-radius: 4px; }
}
`;

export async function startServer(): Promise<{ server: Server; origin: string; nonce: string }> {
  const nonce = 'testnonce' + Math.random().toString(36).slice(2);
  const files: Record<string, [string, string]> = {
    '/dist/webview.js': [join(ROOT, 'dist', 'webview.js'), 'text/javascript'],
    '/media/editor.css': [join(ROOT, 'media', 'editor.css'), 'text/css'],
  };
  let origin = '';
  const server = createServer(async (req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // VS Code's webview host puts its default styles first in every webview: so does the harness.
      res.end(webviewHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/media/editor.css`, nonce }).replace('<head>', `<head>\n<link rel="stylesheet" href="${origin}/vscode-default.css">`));
      return;
    }
    if (url === '/vscode-default.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(VSCODE_DEFAULT_CSS);
      return;
    }
    const f = files[url];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[1] });
    res.end(await readFile(f[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, nonce };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
}

/** A theme as real VS Code gives it to a webview (test/webview/themes/*.json, captured from code-server). */
export interface WebviewTheme {
  readonly theme: string;
  readonly bodyClass: readonly string[];
  readonly vars: Record<string, string>;
}

export async function openHarness(browser: Browser, viewport = { width: 1280, height: 800 }, theme?: WebviewTheme): Promise<Harness> {
  const { server, origin } = await startServer();
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // tsx (esbuild keepNames) wraps named functions in __name(); functions we ship into the page
  // need that helper there too.
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  await page.addInitScript(({ theme, bodyClass }: { theme: Record<string, string>; bodyClass: readonly string[] }) => {
    const w = window as unknown as Record<string, unknown>;
    w.__sent = [];
    w.__csp = [];
    w.__errors = [];
    let state: unknown;
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => {
        (w.__sent as unknown[]).push(JSON.parse(JSON.stringify(m)));
        if ((m as { type?: unknown }).type === 'tree') void (w.__hostRecv as (x: unknown) => Promise<void>)(JSON.parse(JSON.stringify(m)));
      },
      getState: () => state,
      setState: (s: unknown) => (state = s),
    });
    document.addEventListener('securitypolicyviolation', (e) => (w.__csp as string[]).push(`${e.violatedDirective} ${e.blockedURI}`));
    window.addEventListener('error', (e) => (w.__errors as string[]).push(String(e.message)));
    document.addEventListener('DOMContentLoaded', () => {
      for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
      document.body.classList.add(...bodyClass);
    });
  }, { theme: theme?.vars ?? THEME, bodyClass: theme?.bodyClass ?? ['vscode-dark'] });
  page.on('pageerror', (e) => console.error('[webview pageerror]', e.message));
  let session: TreeSession | null = null;
  const log: { type: string; hasRoots: boolean; rows: number }[] = [];
  const deliver = (msg: unknown) => {
    const x = msg as { type?: unknown; model?: unknown; rows?: unknown };
    log.push({ type: String(x?.type), hasRoots: !!x?.model && typeof x.model === 'object' && 'roots' in x.model, rows: Array.isArray(x?.rows) ? x.rows.length : 0 });
    return page.evaluate((y) => window.postMessage(y, '*'), msg as never);
  };
  await page.exposeFunction('__hostRecv', async (raw: unknown) => {
    const m = parseWebviewMessage(raw);
    if (!m || m.type !== 'tree' || !session) return;
    await deliver(session.handle(m.requestId, m.op, m.start, m.end, m.selected)).catch(() => undefined);
  });
  const send = (m: unknown): Promise<void> => {
    const x = m as { type?: unknown; model?: { roots?: unknown }; firstRows?: boolean; keepTree?: boolean };
    if (x && x.type === 'model' && isViewModel(x.model)) {
      if (x.keepTree && session) {
        const { roots: _r, ...header } = x.model as ViewModel;
        return deliver({ type: 'model', model: session.setHeader(header), keepTree: true });
      }
      session = new TreeSession(x.model as ViewModel);
      return deliver({ type: 'model', model: session.header, ...(x.firstRows ? { rows: session.handle(0, { kind: 'rows' }, 0, 160, -1) } : {}) });
    }
    return deliver(m);
  };
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => ((window as unknown as { __sent: { type: string }[] }).__sent ?? []).some((m) => m.type === 'ready'), undefined, { timeout: 15_000 });
  return {
    page,
    origin,
    send,
    delivered: () => [...log],
    sent: () => page.evaluate(() => (window as unknown as { __sent: unknown[] }).__sent),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    errors: () => page.evaluate(() => (window as unknown as { __errors: string[] }).__errors),
    close: async () => {
      await context.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Waits until the tree awaits no rows from the host (its aria-busy is not true). */
export async function settled(page: Page | import('playwright-core').Frame): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.tree[aria-busy="true"]'), undefined, { timeout: 15_000 });
}

/**
 * What a person sees in the tree: rows whose computed style shows them and whose box lies (at
 * least partly) inside the tree's viewport, top to bottom. Never `hidden` attributes or model state.
 */
export async function seenRows(page: Page | import('playwright-core').Frame): Promise<string[]> {
  await settled(page);
  return page.evaluate(() => {
    const tree = document.querySelector('.tree');
    if (!tree) return [];
    const box = tree.getBoundingClientRect();
    const out: { top: number; text: string }[] = [];
    for (const r of Array.from(tree.querySelectorAll('.row'))) {
      const st = getComputedStyle(r);
      const rb = r.getBoundingClientRect();
      if (st.display === 'none' || st.visibility === 'hidden' || Number(st.opacity) === 0) continue;
      if ((r as Element & { checkVisibility?: (o: object) => boolean }).checkVisibility?.({ opacityProperty: true, visibilityProperty: true }) === false) continue;
      if (rb.height <= 0 || rb.bottom <= box.top + 1 || rb.top >= box.bottom - 1) continue;
      // …and inside the window (the tree itself may be partly scrolled out of view).
      if (rb.bottom <= 1 || rb.top >= window.innerHeight - 1) continue;
      out.push({ top: rb.top, text: r.querySelector('.label')?.textContent ?? '' });
    }
    return out.sort((a, b) => a.top - b.top).map((x) => x.text);
  });
}

/** Whether an element is on screen: displayed, non-empty box inside the window. */
export async function onScreen(page: Page | import('playwright-core').Frame, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const st = getComputedStyle(el);
    const b = el.getBoundingClientRect();
    // checkVisibility: also false inside a closed <details>, a display:none ancestor or content-visibility:hidden.
    const shown = (el as Element & { checkVisibility?: (o: object) => boolean }).checkVisibility?.({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true }) ?? true;
    return shown && st.display !== 'none' && st.visibility !== 'hidden' && b.width > 0 && b.height > 0 && b.left >= -1 && b.top >= -1 && b.right <= window.innerWidth + 1 && b.bottom <= window.innerHeight + 1;
  }, selector);
}

/**
 * WCAG contrast ratio between an element's text colour and the background behind it (the first
 * non-transparent background up the tree, else the page's).
 */
export async function contrastOf(page: Page, selector: string): Promise<{ ratio: number; fg: string; bg: string } | null> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const parse = (c: string): [number, number, number, number] => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p.length > 3 ? p[3]! : 1];
    };
    const fg = parse(getComputedStyle(el).color);
    let bg: [number, number, number, number] = [0, 0, 0, 0];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) {
        bg = c;
        break;
      }
    }
    if (bg[3] === 0) bg = parse(getComputedStyle(document.body).backgroundColor);
    const lum = (c: number[]) => {
      const f = (v: number) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]!) + 0.7152 * f(c[1]!) + 0.0722 * f(c[2]!);
    };
    // Blend a translucent foreground over the background.
    const a = fg[3];
    const mix = [0, 1, 2].map((i) => fg[i]! * a + bg[i]! * (1 - a));
    const l1 = lum(mix);
    const l2 = lum(bg);
    return { ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), fg: `rgb(${mix.map(Math.round).join(',')})`, bg: `rgb(${bg.slice(0, 3).join(',')})` };
  }, selector);
}

/**
 * Opens the harness, runs `fn`, then requires what every webview test requires of the page: no
 * CSP violation and no uncaught error. Always closes the page.
 */
export async function withHarness(browser: Browser, fn: (h: Harness) => Promise<void>, viewport?: { width: number; height: number }): Promise<void> {
  const h = await openHarness(browser, viewport);
  try {
    await fn(h);
    assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(await h.errors(), [], 'no uncaught errors');
  } finally {
    await h.close();
  }
}
