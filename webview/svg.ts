/**
 * SVG counterpart of `h` (webview/dom.ts): elements in the SVG namespace with attributes and
 * text children only, never handler attributes, so labels from a report render inert.
 */
const NS = 'http://www.w3.org/2000/svg';
type Attrs = Record<string, string | number | undefined>;

export function s(tag: string, attrs: Attrs = {}, ...children: (SVGElement | string | null)[]): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (/^on/i.test(k) || /^(href|xlink:href)$/i.test(k)) throw new Error(`refusing to set attribute ${k}`);
    el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}
