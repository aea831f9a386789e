/**
 * Type guards for validating messages between the extension host and the webview (see
 * protocol.ts for why they are hand-written). Shared by the editor protocol and the job views.
 */
/** Strings longer than this in a message are rejected (names are long but not megabytes). */
export const MAX_STRING = 1 << 16;

export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isStr = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_STRING;
export const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
export const isCount = (x: unknown): x is number => isNum(x) && x >= 0 && Number.isInteger(x);
export const isNumOrNull = (x: unknown): x is number | null => x === null || isNum(x);
export const isStrOrNull = (x: unknown): x is string | null => x === null || isStr(x);
export const isShape = (x: unknown): x is number[] => Array.isArray(x) && x.length <= 64 && x.every(isCount);
