// Bodies of the node endpoints: a node's heartbeat contract, and an operator
// override of its health.

import type { AdminState } from '../health/model.js';
import { ValidationError, choice, object, onlyKeys, text } from '../validation/fields.js';
import { TOKEN_PATTERN } from './auth.js';

/**
 * The body of PUT or PATCH nodes/{id}: the heartbeat contract (intervalMs, fall,
 * rise), checked afterwards by the pool files' node validator so both accept the
 * same, and optionally the node's token, which only the API ever sees in clear.
 */
export function parseNodeBody(input: unknown): { token?: string; contract: Record<string, unknown> } {
  const body = object(input, 'body');
  onlyKeys(body, ['intervalMs', 'fall', 'rise', 'token'], 'body');
  const { token, ...contract } = body;
  if (token !== undefined && (typeof token !== 'string' || !TOKEN_PATTERN.test(token))) {
    throw new ValidationError('token: must be 16 to 256 visible ASCII characters');
  }
  for (const [key, value] of Object.entries(contract)) if (value === undefined) delete contract[key];
  return { token: token as string | undefined, contract };
}

const ADMIN_STATES: readonly AdminState[] = ['none', 'drain', 'force-up', 'force-down'];
const MAX_REASON_LENGTH = 500;

export function parseAdminBody(input: unknown): { state: AdminState; reason: string } {
  const body = object(input, 'body');
  onlyKeys(body, ['state', 'reason'], 'body');
  const state = choice(body.state, 'state', ADMIN_STATES);
  const reason = text(body.reason ?? '', 'reason', MAX_REASON_LENGTH).trim();
  // An override without a reason is a puzzle for the next person on call.
  if (state !== 'none' && reason === '') throw new ValidationError(`reason: required to set ${state}`);
  return { state, reason };
}
