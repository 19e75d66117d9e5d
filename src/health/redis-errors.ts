// Which Redis failures mean "the store is unreachable" (the caller should wait
// and retry) and which are bugs to surface as they are.

import { StoreUnavailableError } from './store.js';

// Replies from a reachable server that still cannot take the call: a replica
// after failover, a dataset still loading, a busy script.
const UNAVAILABLE_REPLIES = /^(READONLY|LOADING|MASTERDOWN|BUSY|NOREPLICAS)\b/;

export function asStoreError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  if (err instanceof StoreUnavailableError) return err;
  if (err.name === 'ReplyError' && !UNAVAILABLE_REPLIES.test(err.message)) return err;
  return new StoreUnavailableError(`the health store (Redis) is unreachable: ${err.message}`);
}
