// Bodies of the node endpoints: a node's heartbeat contract, and an operator
// override of its health.

import type { AdminState } from '../health/model.js';
import { TOKEN_PATTERN } from './auth.js';
import { ApiError, asObject } from './http-io.js';

/**
 * The body of PUT nodes/{id}: the heartbeat contract (intervalMs, fall, rise),
 * checked afterwards by the pool files' node validator so both accept the same,
 * and optionally the node's token, which only the API ever sees in clear.
 */
export function parseNodeBody(input: unknown): { token?: string; contract: Record<string, unknown> } {
  const body = asObject(input);
  rejectUnknown(body, ['intervalMs', 'fall', 'rise', 'token']);
  const { token, ...contract } = body;
  if (token !== undefined && (typeof token !== 'string' || !TOKEN_PATTERN.test(token))) {
    throw new ApiError(400, 'token must be 16 to 256 visible ASCII characters');
  }
  return { token: token as string | undefined, contract };
}

const ADMIN_STATES: readonly AdminState[] = ['none', 'drain', 'force-up', 'force-down'];
const MAX_REASON_LENGTH = 500;

export function parseAdminBody(input: unknown): { state: AdminState; reason: string } {
  const body = asObject(input);
  rejectUnknown(body, ['state', 'reason']);
  const { state, reason = '' } = body;
  if (typeof state !== 'string' || !ADMIN_STATES.includes(state as AdminState)) throw new ApiError(400, `state must be one of ${ADMIN_STATES.join(', ')}`);
  if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) throw new ApiError(400, `reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
  // An override without a reason is a puzzle for the next person on call.
  if (state !== 'none' && reason.trim() === '') throw new ApiError(400, `a reason is required to set ${state}`);
  return { state: state as AdminState, reason: reason.trim() };
}

function rejectUnknown(body: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new ApiError(400, `unknown field(s): ${unknown.join(', ')}; expected ${known.join(', ')}`);
}
