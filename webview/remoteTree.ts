/**
 * The webview's side of the windowed row protocol: it holds the rows of one window of the visible
 * tree (never the whole tree), asks the host for the rows the list needs as it scrolls, and sends
 * tree operations (toggle, expand/collapse all, filter, reveal, type-to-find) to the host, which
 * answers each with fresh rows. The host answers in request order, so the newest answer always
 * describes the newest state.
 */
import type { HostMessage, RowView, TreeOp, WebviewMessage } from '../src/shared/protocol.js';
import { MAX_ROW_WINDOW } from '../src/shared/protocol.js';

type RowsMessage = Extract<HostMessage, { type: 'rows' }>;

/** Rows asked for beyond the screen on each side (scrolling a little needs no round trip). */
const MARGIN = 60;
/** Rows held at most before the ones far from the screen are dropped. */
const KEEP = 4 * MAX_ROW_WINDOW;

/** Ids across models: an answer meant for the previous model's tree is never taken for this one's. */
let nextRequestId = 1;

export interface RemoteTreeEvents {
  /** New rows or a new visible list arrived: re-render. */
  changed(): void;
  /** An op's answer (its focus, filter count/error). */
  answered(m: RowsMessage, op: TreeOp): void;
}

export class RemoteTree {
  /** Rows in the visible list (from the newest answer). */
  total = 0;
  matches: number | null = null;
  private version = -1;
  /** Rows held, by position, all of `version` (pruned to the neighbourhood of the screen). */
  private rows = new Map<number, RowView>();
  /** Ops sent but not answered, by request id. */
  private readonly pending = new Map<number, TreeOp>();
  /** The last window asked for (to not ask twice for the same rows). */
  private asked: { start: number; end: number } | null = null;
  /** The screen window the view needs (kept so ops re-ask for it). */
  private want = { start: 0, end: 0 };

  constructor(
    private readonly post: (m: WebviewMessage) => void,
    private readonly selected: () => number,
    private readonly events: RemoteTreeEvents,
  ) {}

  /** The row at visible position `pos`, if it is in the window held. */
  rowAt(pos: number): RowView | undefined {
    return this.rows.get(pos);
  }

  /** Rows held (one window). */
  get held(): number {
    return this.rows.size;
  }

  /** Whether an answer is awaited. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** The position of node `node` if its row is held, else -1. */
  posOfNode(node: number): number {
    for (const [pos, r] of this.rows) if (r.node === node) return pos;
    return -1;
  }

  /** The view needs rows [first, last): ask for them (with a margin) unless they are held or asked for. */
  need(first: number, last: number): void {
    this.want = { start: first, end: last };
    let covered = this.version >= 0;
    for (let p = first; covered && p < Math.min(last, this.total); p++) covered = this.rows.has(p);
    if (covered) return;
    const a = this.asked;
    if (a && first >= a.start && last <= a.end) return;
    this.request({ kind: 'rows' });
  }

  /** Sends `op`; its answer carries the rows around the current screen. */
  request(op: TreeOp): void {
    const start = Math.max(0, this.want.start - MARGIN);
    const end = Math.min(start + MAX_ROW_WINDOW, Math.max(this.want.end, start + 1) + MARGIN);
    const requestId = nextRequestId++;
    this.pending.set(requestId, op);
    this.asked = { start, end };
    this.post({ type: 'tree', requestId, op, start, end, selected: this.selected() });
  }

  /** The first window, carried by the `model` message: the first screen needs no request. */
  seed(m: RowsMessage): void {
    this.rows.clear();
    this.version = m.version;
    this.total = m.total;
    this.matches = m.matches;
    for (let k = 0; k < m.rows.length; k++) this.rows.set(m.start + k, m.rows[k]!);
  }

  /** An answer from the host (ignored unless it answers one of our requests). */
  receive(m: RowsMessage): void {
    const op = this.pending.get(m.requestId);
    if (!op) return;
    this.pending.delete(m.requestId);
    if (!this.pending.size) this.asked = null;
    if (m.version !== this.version) this.rows.clear();
    this.version = m.version;
    this.total = m.total;
    this.matches = m.matches;
    for (let k = 0; k < m.rows.length; k++) this.rows.set(m.start + k, m.rows[k]!);
    // Bounded: keep the rows near the screen (and this answer's), whatever the size of the tree.
    if (this.rows.size > KEEP) {
      const lo = Math.min(this.want.start, m.start) - MAX_ROW_WINDOW;
      const hi = Math.max(this.want.end, m.start + m.rows.length) + MAX_ROW_WINDOW;
      for (const pos of [...this.rows.keys()]) if (pos < lo || pos >= hi) this.rows.delete(pos);
    }
    this.events.answered(m, op);
    this.events.changed();
  }
}
