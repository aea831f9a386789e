/**
 * The only way the webview creates DOM: elements with attributes and text children.
 * Text goes through text nodes (never innerHTML), so tensor names and messages render inert, and
 * through `visibleMultiline`, so bidi overrides, zero-width and control characters show as
 * `\uXXXX` escapes instead of reordering or hiding text (tooltips and labels likewise).
 */
import { visibleMultiline, visibleText } from '../src/shared/text.js';

const TEXT_ATTRS = new Set(['title', 'aria-label', 'placeholder', 'label']);
type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    // No event-handler attributes, ever: listeners are attached with addEventListener.
    if (/^on/i.test(k)) throw new Error(`refusing to set handler attribute ${k}`);
    el.setAttribute(k, v === true ? '' : TEXT_ATTRS.has(k) ? visibleText(String(v)) : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(visibleMultiline(c)) : c);
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}
