// Static records added at run time (`flipdns record set`): validated with the
// zone parser's rules, so they can hold exactly what a zone file could.

import { ValidationError, object, onlyKeys } from '../validation/fields.js';
import { ZoneSyntaxError } from '../zone/lexer.js';
import { MAX_TTL } from '../zone/rdata.js';
import { rdataFromText } from '../zone/rdata-text.js';
import { isQueryOnlyType, typeFromText, typeToText } from '../zone/types.js';
import type { RuntimeRecord } from './model.js';
import { absoluteName } from './spec.js';

const FIELDS = ['name', 'type', 'ttl', 'values'];
const DEFAULT_TTL = 300;
const TYPE_SOA = 6;

export function parseRuntimeRecord(input: unknown): RuntimeRecord {
  const fields = object(input, 'record');
  onlyKeys(fields, FIELDS, 'record');
  const name = absoluteName(fields.name, 'record: name');
  const type = typeof fields.type === 'string' ? typeFromText(fields.type) : undefined;
  if (type === undefined || isQueryOnlyType(type) || type === TYPE_SOA) throw new ValidationError(`record ${name}: type: must be a record type other than SOA (got ${JSON.stringify(fields.type)})`);
  const ttl = fields.ttl ?? DEFAULT_TTL;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) throw new ValidationError(`record ${name}: ttl: must be an integer from 0 to ${MAX_TTL}`);
  if (!Array.isArray(fields.values) || fields.values.length === 0 || !fields.values.every((v) => typeof v === 'string')) {
    throw new ValidationError(`record ${name}: values: must be a non-empty list of strings`);
  }
  const record: RuntimeRecord = { name, type: typeToText(type), ttl, values: fields.values as string[] };
  runtimeRdatas(record);
  return record;
}

/** Wire RDATA of each value; throws a ValidationError naming the bad value. */
export function runtimeRdatas(record: RuntimeRecord): string[] {
  const type = typeFromText(record.type)!;
  return record.values.map((value) => {
    try {
      return rdataFromText(type, value);
    } catch (err) {
      if (err instanceof ZoneSyntaxError) throw new ValidationError(`record ${record.name} ${record.type}: "${value}": ${err.message}`);
      throw err;
    }
  });
}
