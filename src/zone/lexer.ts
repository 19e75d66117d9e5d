// RFC 1035 §5.1 master-file tokenizer. The text is a latin1 string (one char
// per file byte), so bytes that are not ASCII pass through untouched.
//
// It hands out one logical line at a time: parentheses join physical lines,
// `;` starts a comment outside quotes. Token arrays are reused from line to
// line so a million-record zone does not allocate a million token lists.
//
// Bare tokens keep their backslash escapes, because a name needs to know
// whether a dot was escaped; textToName and decodeEscapes read them later.
// Quoted tokens arrive with escapes already decoded and `quoted` set.

/** A problem in the zone text; the parser reports it with the file and line. */
export class ZoneSyntaxError extends Error {
  override name = 'ZoneSyntaxError';
}

/** The tokens of one logical line: only the first `count` entries are current. */
export interface Tokens {
  readonly texts: readonly string[];
  readonly quoted: readonly boolean[];
  readonly count: number;
}

const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

export class ZoneLexer implements Tokens {
  readonly texts: string[] = [];
  readonly quoted: boolean[] = [];
  count = 0;
  /** Line on which the current logical line starts. */
  line = 0;
  /** The logical line starts with a blank, which means "same owner as before". */
  ownerOmitted = false;
  /** Set when the current logical line is malformed; its tokens are then not to be used. */
  error: string | undefined;
  errorLine = 0;

  private pos = 0;
  private physicalLine = 1;

  constructor(private readonly source: string) {}

  /** Moves to the next logical line holding tokens or an error; false at the end of the text. */
  next(): boolean {
    const source = this.source;
    const end = source.length;
    this.count = 0;
    this.error = undefined;
    let depth = 0;
    let openedOn = 0;
    let atLineStart = true;
    while (this.pos < end) {
      const c = source.charCodeAt(this.pos);
      if (atLineStart) {
        this.line = this.physicalLine;
        this.ownerOmitted = c === SPACE || c === TAB;
        atLineStart = false;
      }
      if (c === LF) {
        this.pos++;
        this.physicalLine++;
        if (depth > 0) continue;
        if (this.count > 0 || this.error !== undefined) return true;
        atLineStart = true;
      } else if (c <= SPACE) {
        // Any other control byte counts as a blank, like CR of a CRLF file.
        this.pos++;
      } else if (c === SEMICOLON) {
        const newline = source.indexOf('\n', this.pos);
        this.pos = newline < 0 ? end : newline;
      } else if (c === OPEN) {
        if (depth === 0) openedOn = this.physicalLine;
        depth++;
        this.pos++;
      } else if (c === CLOSE) {
        if (depth === 0) this.fail('")" without a matching "("');
        else depth--;
        this.pos++;
      } else if (c === QUOTE) {
        this.readQuoted();
      } else {
        this.readBare();
      }
    }
    if (depth > 0) this.fail(`"(" is never closed`, openedOn);
    return this.count > 0 || this.error !== undefined;
  }

  private readBare(): void {
    const source = this.source;
    const start = this.pos;
    let i = start;
    while (i < source.length) {
      const c = source.charCodeAt(i);
      if (c === BACKSLASH) {
        // The escaped byte never ends the token, but a newline always ends the line.
        i += i + 1 < source.length && source.charCodeAt(i + 1) !== LF ? 2 : 1;
      } else if (c <= SPACE || c === SEMICOLON || c === OPEN || c === CLOSE || c === QUOTE) {
        break;
      } else {
        i++;
      }
    }
    this.push(source.slice(start, i), false);
    this.pos = i;
  }

  private readQuoted(): void {
    const source = this.source;
    const start = this.pos + 1;
    let escaped = false;
    let i = start;
    for (;;) {
      const c = i < source.length ? source.charCodeAt(i) : LF;
      if (c === QUOTE) break;
      if (c === LF || (c === BACKSLASH && (i + 1 >= source.length || source.charCodeAt(i + 1) === LF))) {
        // Stop before the newline so the line count and logical-line end stay right.
        this.fail('quoted string is not closed on its line');
        this.pos = c === LF ? i : i + 1;
        return;
      }
      if (c === BACKSLASH) {
        escaped = true;
        i += 2;
      } else {
        i++;
      }
    }
    this.pos = i + 1;
    const raw = source.slice(start, i);
    if (!escaped) {
      this.push(raw, true);
      return;
    }
    try {
      this.push(decodeEscapes(raw), true);
    } catch (e) {
      if (!(e instanceof ZoneSyntaxError)) throw e;
      this.fail(e.message);
    }
  }

  private push(text: string, quoted: boolean): void {
    this.texts[this.count] = text;
    this.quoted[this.count] = quoted;
    this.count++;
  }

  /** Keeps the first problem of a logical line; the rest of it is still read so the next line starts clean. */
  private fail(message: string, line = this.physicalLine): void {
    if (this.error !== undefined) return;
    this.error = message;
    this.errorLine = line;
  }
}

/** Resolves `\X` and `\DDD` (RFC 1035 §5.1) into the bytes they stand for. */
export function decodeEscapes(raw: string): string {
  let i = raw.indexOf('\\');
  if (i < 0) return raw;
  let out = raw.slice(0, i);
  while (i < raw.length) {
    const next = raw.indexOf('\\', i);
    if (next !== i) {
      const stop = next < 0 ? raw.length : next;
      out += raw.slice(i, stop);
      i = stop;
      continue;
    }
    if (i + 1 >= raw.length) throw new ZoneSyntaxError(`"${raw}" ends with a lone backslash`);
    if (isDigit(raw.charCodeAt(i + 1))) {
      const digits = raw.slice(i + 1, i + 4);
      if (digits.length < 3 || !isDigit(digits.charCodeAt(1)) || !isDigit(digits.charCodeAt(2)) || Number(digits) > 255) {
        throw new ZoneSyntaxError(`bad escape "\\${digits}" in "${raw}"`);
      }
      out += String.fromCharCode(Number(digits));
      i += 4;
    } else {
      out += raw[i + 1];
      i += 2;
    }
  }
  return out;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
