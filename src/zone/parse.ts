// Zone file parser: RFC 1035 §5 master files with $ORIGIN, $TTL (RFC 2308)
// and $INCLUDE, into ParsedRecords. It reports every error of a file rather
// than stopping at the first, each as `file:line: message` with the file
// named relative to the zones folder.

import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CLASS_IN, type ParsedRecord, type ZoneError } from './model.js';
import { type Tokens, ZoneLexer, ZoneSyntaxError, decodeEscapes } from './lexer.js';
import { NameSyntaxError } from './name.js';
import { encodeRdata, parseTtl, tokenToName } from './rdata.js';
import { classFromText, isQueryOnlyType, typeFromText, typeToText } from './types.js';

export interface ParseOptions {
  /** Origin (wire form) of the zone unless the file's own $ORIGIN, before any record, names another. */
  origin: string;
  /** The zones folder: $INCLUDE paths are relative to it and may not leave it. */
  zonesDir: string;
  /** TTL for a record that has none, when neither $TTL nor an earlier record gives one. */
  defaultTtl?: number;
}

export interface ParsedZoneFile {
  /** The zone origin (wire form). */
  origin: string;
  records: ParsedRecord[];
  errors: ZoneError[];
  warnings: ZoneError[];
}

/** Deep enough for any sane layout; it is what stops a file that includes itself. */
export const MAX_INCLUDE_DEPTH = 8;

/**
 * What a file's directives and records set for the records after them. An
 * included file starts from a copy of its parent's, so nothing it sets leaks
 * back: RFC 1035 §5.1 asks that of the origin, and the rest follows suit.
 */
interface Scope {
  origin: string;
  /** From $TTL. */
  ttl: number | undefined;
  /** The last TTL written on a record: RFC 1035's default when there is no $TTL. */
  lastTtl: number | undefined;
  lastClass: number;
  /** Owner for records that leave it blank. */
  owner: string | undefined;
}

export function parseZoneFile(path: string, options: ParseOptions): ParsedZoneFile {
  const parser = new ZoneFileParser(options);
  const target = resolve(path);
  const file = relative(resolve(options.zonesDir), target);
  const scope: Scope = { origin: options.origin, ttl: undefined, lastTtl: undefined, lastClass: CLASS_IN, owner: undefined };
  let text: string;
  try {
    text = readFileSync(target, 'latin1');
  } catch (e) {
    parser.errors.push({ file, message: `cannot read the file (${fsProblem(e)})` });
    return parser.result();
  }
  parser.parseText(text, file, scope, 0);
  return parser.result();
}

class ZoneFileParser {
  readonly records: ParsedRecord[] = [];
  readonly errors: ZoneError[] = [];
  readonly warnings: ZoneError[] = [];
  origin: string;
  /** Once a record line is read, a later $ORIGIN only changes how names are completed. */
  private pastHeader = false;
  private warnedLastTtl = false;
  private readonly zonesDir: string;
  private readonly defaultTtl: number | undefined;

  constructor(options: ParseOptions) {
    this.origin = options.origin;
    this.zonesDir = resolve(options.zonesDir);
    this.defaultTtl = options.defaultTtl;
  }

  result(): ParsedZoneFile {
    return { origin: this.origin, records: this.records, errors: this.errors, warnings: this.warnings };
  }

  error(file: string, line: number, message: string): void {
    this.errors.push({ file, line, message });
  }

  parseText(text: string, file: string, scope: Scope, depth: number): void {
    const lexer = new ZoneLexer(text);
    while (lexer.next()) {
      if (lexer.error !== undefined) {
        this.error(file, lexer.errorLine, lexer.error);
        continue;
      }
      try {
        const first = lexer.texts[0];
        if (first.charCodeAt(0) === 0x24 && !lexer.quoted[0]) {
          this.directive(lexer, scope, depth);
        } else {
          this.pastHeader = true;
          this.record(lexer, file, scope);
        }
      } catch (e) {
        if (!(e instanceof ZoneSyntaxError || e instanceof NameSyntaxError)) throw e;
        this.error(file, lexer.line, e.message);
      }
    }
  }

  private directive(lexer: ZoneLexer, scope: Scope, depth: number): void {
    const name = lexer.texts[0].toUpperCase();
    const args = lexer.count - 1;
    switch (name) {
      case '$ORIGIN':
        if (args !== 1) throw new ZoneSyntaxError('$ORIGIN takes one domain name');
        scope.origin = tokenToName(lexer.texts[1], lexer.quoted[1], scope.origin);
        if (depth === 0 && !this.pastHeader) this.origin = scope.origin;
        return;
      case '$TTL':
        if (args !== 1) throw new ZoneSyntaxError('$TTL takes one TTL');
        scope.ttl = parseTtl(lexer.texts[1]);
        return;
      case '$INCLUDE': {
        if (args < 1 || args > 2) throw new ZoneSyntaxError('$INCLUDE takes a file name and an optional origin');
        const path = lexer.quoted[1] ? lexer.texts[1] : decodeEscapes(lexer.texts[1]);
        const origin = args === 2 ? tokenToName(lexer.texts[2], lexer.quoted[2], scope.origin) : scope.origin;
        this.include(path, { ...scope, origin }, depth + 1);
        return;
      }
      default:
        throw new ZoneSyntaxError(`unknown directive ${lexer.texts[0]}`);
    }
  }

  private include(path: string, scope: Scope, depth: number): void {
    const target = resolve(this.zonesDir, path);
    const file = relative(this.zonesDir, target);
    if (isOutside(file)) throw new ZoneSyntaxError(`$INCLUDE of "${path}", which is outside the zones folder`);
    if (depth > MAX_INCLUDE_DEPTH) throw new ZoneSyntaxError(`$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep (does a file include itself?)`);
    let text: string;
    try {
      // A symlink inside the folder may still point out of it.
      if (isOutside(relative(realpathSync(this.zonesDir), realpathSync(target)))) {
        throw new ZoneSyntaxError(`$INCLUDE of "${path}", which links outside the zones folder`);
      }
      text = readFileSync(target, 'latin1');
    } catch (e) {
      if (e instanceof ZoneSyntaxError) throw e;
      throw new ZoneSyntaxError(`$INCLUDE of "${path}", which cannot be read (${fsProblem(e)})`);
    }
    this.parseText(text, file, scope, depth);
  }

  private record(lexer: ZoneLexer, file: string, scope: Scope): void {
    const { texts, count } = lexer;
    let i = 0;
    if (lexer.ownerOmitted) {
      if (scope.owner === undefined) throw new ZoneSyntaxError('record starts with a blank, but no earlier record gives an owner');
    } else {
      scope.owner = tokenToName(texts[0], lexer.quoted[0], scope.origin);
      i = 1;
    }
    const owner = scope.owner;

    let ttl: number | undefined;
    let klass: number | undefined;
    for (; i < count; i++) {
      const text = texts[i];
      if (startsWithDigit(text)) {
        if (ttl !== undefined) throw new ZoneSyntaxError(`second TTL "${text}" in one record`);
        ttl = parseTtl(text);
        scope.lastTtl = ttl;
        continue;
      }
      const found = classFromText(text);
      if (found === undefined) break;
      if (klass !== undefined) throw new ZoneSyntaxError(`second class "${text}" in one record`);
      klass = found;
      scope.lastClass = found;
    }

    if (i === count) throw new ZoneSyntaxError('record has no type');
    const type = typeFromText(texts[i]);
    if (type === undefined) throw unknownWord(lexer, i, ttl === undefined, klass === undefined);
    if (isQueryOnlyType(type)) throw new ZoneSyntaxError(`type ${typeToText(type)} cannot appear in a zone`);
    const rdata = encodeRdata(type, lexer, i + 1, scope.origin);

    this.records.push({
      file,
      line: lexer.line,
      owner,
      type,
      class: klass ?? scope.lastClass,
      ttl: ttl ?? this.implicitTtl(scope, file, lexer.line),
      rdata,
    });
  }

  private implicitTtl(scope: Scope, file: string, line: number): number {
    if (scope.ttl !== undefined) return scope.ttl;
    if (scope.lastTtl !== undefined) {
      if (!this.warnedLastTtl) {
        this.warnedLastTtl = true;
        this.warnings.push({ file, line, message: 'no $TTL: records without a TTL take the previous record\'s (RFC 1035)' });
      }
      return scope.lastTtl;
    }
    if (this.defaultTtl !== undefined) return this.defaultTtl;
    throw new ZoneSyntaxError('record has no TTL and no $TTL or earlier record gives one');
  }
}

/**
 * The error for a word that names no type. Where a TTL or a class may still
 * stand and a known type follows within the fields left to them, the word
 * took one of those fields (`www 1hour IN A ...`): calling it an unknown type
 * would point at the wrong field.
 */
function unknownWord(tokens: Tokens, at: number, ttlOpen: boolean, classOpen: boolean): ZoneSyntaxError {
  const { texts, count } = tokens;
  const word = texts[at];
  let typeAt = at + 1;
  // With both open, the word took one of them and the other may come before the type.
  if (ttlOpen && classOpen && typeAt < count && (startsWithDigit(texts[typeAt]) || classFromText(texts[typeAt]) !== undefined)) typeAt++;
  const tookAField = (ttlOpen || classOpen) && typeAt < count && typeFromText(texts[typeAt]) !== undefined;
  if (!tookAField) return new ZoneSyntaxError(`unknown type "${word}"`);
  const fields = ttlOpen && classOpen ? 'a TTL, a class' : ttlOpen ? 'a TTL' : 'a class';
  return new ZoneSyntaxError(`"${word}" is not ${fields} or a type`);
}

/** A type or class mnemonic never starts with a digit, so such a field is meant as a TTL. */
function startsWithDigit(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

function isOutside(relativePath: string): boolean {
  return relativePath === '..' || relativePath.startsWith('..' + sep) || isAbsolute(relativePath);
}

/** The errno code, which says it all without repeating the absolute path. */
function fsProblem(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
