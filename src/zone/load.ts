// Loads every `*.zone` file of the zones folder. One broken file does not take
// the others down, and on a reload it keeps serving what it served before.

import { type Dirent, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildZone } from './build.js';
import type { Zone, ZoneError } from './model.js';
import { NameSyntaxError, ROOT_WIRE, nameToText, textToName } from './name.js';
import { parseZoneFile } from './parse.js';

export interface LoadedZones {
  /** By folded origin. */
  zones: Map<string, Zone>;
  /** By file, then line. */
  errors: ZoneError[];
  /** By file, then line. */
  warnings: ZoneError[];
  /** Zone files (relative to the folder) that did not load this time. */
  failedFiles: string[];
}

export const ZONE_FILE_SUFFIX = '.zone';

/**
 * Reads the `*.zone` files directly in `dir`, in name order; other files there
 * are not zones. A file without $ORIGIN serves the zone its name spells
 * (`example.test.zone` is `example.test.`), as NSD and Knot do. A file that
 * fails keeps its zone from `previous`, if it had one. Throws when `dir`
 * itself cannot be read.
 */
export function loadZoneDir(dir: string, previous?: ReadonlyMap<string, Zone>): LoadedZones {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(`cannot read the zones folder ${dir}: ${(e as Error).message}`);
  }
  const files = entries
    // Dot files are editor locks and backups (Emacs makes `.#name.zone`).
    .filter((entry) => entry.name.endsWith(ZONE_FILE_SUFFIX) && !entry.name.startsWith('.') && !entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return loadZoneFiles(dir, files, previous);
}

/** Loads the one zone file at `path` as loadZoneDir loads it from its folder; for `flipdns zone check FILE`. */
export function checkZoneFile(path: string): LoadedZones {
  return loadZoneFiles(dirname(path), [basename(path)]);
}

function loadZoneFiles(dir: string, files: string[], previous?: ReadonlyMap<string, Zone>): LoadedZones {
  const previousByFile = new Map<string, Zone>();
  for (const zone of previous?.values() ?? []) previousByFile.set(zone.file, zone);

  const result: LoadedZones = { zones: new Map(), errors: [], warnings: [], failedFiles: [] };
  for (const file of files) {
    const zone = loadZoneFile(dir, file, result);
    if (zone === undefined) {
      result.failedFiles.push(file);
      const kept = previousByFile.get(file);
      if (kept !== undefined) addZone(result, kept);
    } else if (!addZone(result, zone)) {
      result.failedFiles.push(file);
    }
  }
  // A file's parse errors come before its build errors, and an $INCLUDEd file's amid its parent's.
  result.errors.sort(bySourcePosition);
  result.warnings.sort(bySourcePosition);
  return result;
}

/** The zone of one file, or undefined with its errors added to `result`. */
function loadZoneFile(dir: string, file: string, result: LoadedZones): Zone | undefined {
  let origin: string;
  try {
    origin = textToName(file.slice(0, -ZONE_FILE_SUFFIX.length), ROOT_WIRE);
  } catch (e) {
    if (!(e instanceof NameSyntaxError)) throw e;
    result.errors.push({ file, message: `the file name gives no zone name: ${e.message}` });
    return undefined;
  }
  const parsed = parseZoneFile(join(dir, file), { origin, zonesDir: dir });
  const built = buildZone(parsed.origin, file, parsed.records);
  appendAll(result.errors, parsed.errors, built.errors);
  appendAll(result.warnings, parsed.warnings, built.warnings);
  return parsed.errors.length > 0 ? undefined : built.zone;
}

/** False, with an error, when another file already serves the same origin. */
function addZone(result: LoadedZones, zone: Zone): boolean {
  const other = result.zones.get(zone.key);
  if (other !== undefined) {
    result.errors.push({ file: zone.file, message: `zone ${nameToText(zone.origin)} is already loaded from ${other.file}` });
    return false;
  }
  result.zones.set(zone.key, zone);
  return true;
}

/** Not push(...list): a file with a huge number of problems would overflow the call stack. */
function appendAll<T>(target: T[], ...lists: T[][]): void {
  for (const list of lists) for (const item of list) target.push(item);
}

/** Whole-file problems, which have no line, come after the lines of their file. */
function bySourcePosition(a: ZoneError, b: ZoneError): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}
