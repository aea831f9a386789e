import type { FailureState } from '../shared/protocol.js';

/** Which clear state the editor shows for a reader error code (never a blank page). */
export function failureState(code: string): FailureState {
  if (code === 'file-not-found') return 'deleted';
  if (code === 'file-empty' || code === 'file-too-small' || code.includes('exceeds-file') || code.includes('truncat')) return 'truncated';
  return 'unreadable';
}
