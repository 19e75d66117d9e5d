// Path parameters, checked and put in the form the store keys them by, and
// the refusal of a change the instance could not serve.

import { ID_PATTERN } from '../health/model.js';
import type { Problem } from '../pools/layout.js';
import { absoluteName } from '../pools/spec.js';
import { ApiError } from './http-io.js';

/** In the form the store keys names by (absolute, as the validators write it), so a removal finds what a PUT stored. */
export function ownerName(param: string): string {
  return absoluteName(param, 'name');
}

/** Type mnemonics are case-insensitive in URLs (`a`, `AAAA`, `TYPE65`). */
export function rrType(param: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,15}$/.test(param)) throw new ApiError(400, `bad record type ${JSON.stringify(param)}`);
  return param.toUpperCase();
}

export function nodeId(param: string): string {
  if (!ID_PATTERN.test(param)) throw new ApiError(400, `bad node id ${JSON.stringify(param)}: letters, digits, '.', '_' and '-', at most 63, starting with a letter or digit`);
  return param;
}

/** 409 for a clash with what is served, 400 for a name that cannot be used; nothing when there is no problem. */
export function refuseProblem(problem: Problem | undefined): void {
  if (problem !== undefined) throw new ApiError(problem.conflict ? 409 : 400, problem.message);
}
