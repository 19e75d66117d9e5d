// Checks of structured input that comes from outside: pool files, admin API
// bodies, the config file. One set, so that every input is refused the same
// way: a ValidationError whose message starts with where the problem is.

export class ValidationError extends Error {
  override name = 'ValidationError';
}

export type Fields = Record<string, unknown>;

/** A plain JSON object, or a ValidationError. */
export function object(input: unknown, where: string): Fields {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError(`${where}: must be an object`);
  return input as Fields;
}

/** Refuses the first field not in `allowed`, naming those that are. */
export function onlyKeys(fields: Fields, allowed: readonly string[], where: string, noun = 'field'): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new ValidationError(`${where}: unknown ${noun} "${key}" (known: ${allowed.join(', ')})`);
  }
}

export function integer(value: unknown, where: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${where}: must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function choice<T extends string>(value: unknown, where: string, options: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !options.includes(value as T)) throw new ValidationError(`${where}: must be one of ${options.join(', ')}`);
  return value as T;
}

export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(`${where}: must be a list`);
  return value;
}

/** The text of a string field, or a ValidationError. */
export function text(value: unknown, where: string, maxLength = Infinity): string {
  if (typeof value !== 'string' || value.length > maxLength) throw new ValidationError(`${where}: must be a string${Number.isFinite(maxLength) ? ` of at most ${maxLength} characters` : ''}`);
  return value;
}
