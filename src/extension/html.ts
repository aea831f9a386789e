/**
 * The webview's HTML shell. Pure (no `vscode`) so the Chromium tests load the exact same page,
 * CSP included. Data never goes into this HTML: it arrives later as messages.
 */
export interface HtmlInputs {
  /** `webview.cspSource` (origin allowed for our script/style/font files). */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Random per page load: only our bundle carries it. */
  readonly nonce: string;
}

export function contentSecurityPolicy(i: Pick<HtmlInputs, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${i.nonce}'`,
    // Lit-based components adopt constructable stylesheets (no inline style elements needed).
    `style-src ${i.cspSource}`,
    `font-src ${i.cspSource}`,
    `img-src ${i.cspSource}`,
  ].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function webviewHtml(i: HtmlInputs): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(i))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(i.styleUri)}">
<title>Checkpoint Lens</title>
</head>
<body>
<div id="app" aria-live="polite"><p class="state">Loading…</p></div>
<script nonce="${attr(i.nonce)}" src="${attr(i.scriptUri)}"></script>
</body>
</html>`;
}

export function makeNonce(random: (n: number) => Uint8Array): string {
  return Buffer.from(random(18)).toString('base64').replace(/[^A-Za-z0-9]/g, 'x');
}
