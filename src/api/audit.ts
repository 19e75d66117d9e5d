// Every operator change leaves a log line saying who changed what and why, and
// counts in flipdns_admin_changes_total{kind}.

import type { AdminContext } from './context.js';
import type { ApiCall } from './router.js';

export function recordChange(ctx: AdminContext, call: ApiCall, change: string, details: Record<string, unknown>): void {
  ctx.log.info({ actor: call.actor, change, ...(call.reason === undefined ? {} : { reason: call.reason }), ...details }, 'admin change');
  ctx.countChange(change);
}
