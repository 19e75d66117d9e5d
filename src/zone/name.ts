// Domain names are kept in wire form as latin1 strings: one char per byte, so a
// name costs one compact V8 string instead of a Buffer object, and every suffix
// that starts at a label boundary is itself a valid name (zone cuts, closest
// enclosers and zone lookup all become string slices).
//
// `wire` keeps the case the name was written with (answers echo it);
// `key` is the same bytes with ASCII A-Z folded, for case-insensitive lookup.

export const ROOT_WIRE = '\x00';
export const MAX_NAME_LENGTH = 255;
export const MAX_LABEL_LENGTH = 63;

/** Folds ASCII A-Z only: DNS case-insensitivity never touches other bytes (RFC 4343). */
export function foldCase(wire: string): string {
  let i = 0;
  const n = wire.length;
  while (i < n) {
    const c = wire.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) break;
    i++;
  }
  if (i === n) return wire;
  let out = wire.slice(0, i);
  for (; i < n; i++) {
    const c = wire.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : wire[i];
  }
  return out;
}

export function labelCount(wire: string): number {
  let count = 0;
  for (let i = 0; wire.charCodeAt(i) !== 0; i += wire.charCodeAt(i) + 1) count++;
  return count;
}

/** The name with its first label removed; the root's parent is undefined. */
export function parentOf(wire: string): string | undefined {
  const len = wire.charCodeAt(0);
  return len === 0 ? undefined : wire.slice(len + 1);
}

/** True when `wire` equals `ancestor` or lies below it (both folded or both as written). */
export function isAtOrBelow(wire: string, ancestor: string): boolean {
  if (wire.length < ancestor.length || !wire.endsWith(ancestor)) return false;
  // The suffix must start at a label boundary.
  for (let i = 0; i <= wire.length - ancestor.length; i += wire.charCodeAt(i) + 1) {
    if (i === wire.length - ancestor.length) return true;
  }
  return false;
}

export function isWildcard(wire: string): boolean {
  return wire.charCodeAt(0) === 1 && wire.charCodeAt(1) === 0x2a;
}

export function prependLabel(label: string, wire: string): string {
  return String.fromCharCode(label.length) + label + wire;
}

/** Wire form (latin1 string) to presentation form with RFC 1035 escapes, always absolute. */
export function nameToText(wire: string): string {
  if (wire.charCodeAt(0) === 0) return '.';
  let out = '';
  for (let i = 0; wire.charCodeAt(i) !== 0; ) {
    const len = wire.charCodeAt(i);
    for (let j = i + 1; j <= i + len; j++) {
      const c = wire.charCodeAt(j);
      if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24) {
        out += '\\' + wire[j];
      } else if (c <= 0x20 || c >= 0x7f) {
        out += '\\' + String(c).padStart(3, '0');
      } else {
        out += wire[j];
      }
    }
    out += '.';
    i += len + 1;
  }
  return out;
}

export class NameSyntaxError extends Error {
  override name = 'NameSyntaxError';
}

/**
 * Presentation form to wire form. A name not ending in an unescaped dot is
 * relative and gets `origin` appended; `@` is the origin itself.
 */
export function textToName(text: string, origin: string | undefined): string {
  if (text === '@') {
    if (origin === undefined) throw new NameSyntaxError('"@" used with no $ORIGIN set');
    return origin;
  }
  if (text === '.') return ROOT_WIRE;
  let wire = '';
  let label = '';
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      const next = text.charCodeAt(i + 1);
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
          throw new NameSyntaxError(`bad escape "\\${digits}" in name "${text}"`);
        }
        label += String.fromCharCode(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        label += text[i + 1];
        i += 1;
      } else {
        throw new NameSyntaxError(`name "${text}" ends with a lone backslash`);
      }
    } else if (ch === '.') {
      if (label.length === 0) throw new NameSyntaxError(`empty label in name "${text}"`);
      wire += checkedLabel(label, text);
      label = '';
      if (i === text.length - 1) absolute = true;
    } else {
      label += ch;
    }
  }
  if (label.length > 0) wire += checkedLabel(label, text);
  if (absolute) {
    wire += ROOT_WIRE;
  } else {
    if (origin === undefined) throw new NameSyntaxError(`relative name "${text}" with no $ORIGIN set`);
    wire += origin;
  }
  if (wire.length > MAX_NAME_LENGTH) throw new NameSyntaxError(`name "${text}" is longer than 255 bytes`);
  return wire;
}

function checkedLabel(label: string, text: string): string {
  for (let i = 0; i < label.length; i++) {
    if (label.charCodeAt(i) > 0xff) throw new NameSyntaxError(`name "${text}" has a character outside latin1; write it as \\DDD bytes`);
  }
  if (label.length > MAX_LABEL_LENGTH) throw new NameSyntaxError(`label "${label}" in "${text}" is longer than 63 bytes`);
  return String.fromCharCode(label.length) + label;
}

/**
 * End offset of the uncompressed wire name starting at `start` in `data`, or -1
 * when it is not one: labels over 63 bytes (which covers compression pointers),
 * a name over 255 bytes, or bytes running out before the root label.
 */
export function wireNameEnd(data: string, start: number): number {
  let i = start;
  while (i < data.length) {
    const len = data.charCodeAt(i);
    if (len === 0) return i + 1 - start <= MAX_NAME_LENGTH ? i + 1 : -1;
    if (len > MAX_LABEL_LENGTH) return -1;
    i += len + 1;
  }
  return -1;
}
