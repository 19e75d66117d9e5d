import { statSync } from 'node:fs';
import { type LoadedPoolFiles, POOL_FILE_SUFFIX, checkPoolFile, loadPoolFiles } from '../pools/files.js';
import { type LoadedZones, ZONE_FILE_SUFFIX, checkZoneFile, loadZoneDir } from '../zone/load.js';
import { formatZoneError } from '../zone/model.js';
import { nameToText } from '../zone/name.js';
import { CliError } from './cli-error.js';
import { EXIT_PROBLEMS, EXIT_USAGE } from './exit-codes.js';

/**
 * Like named-checkzone: every problem of the zone and pool files in a folder
 * (or of the one file named) as `file:line: message`, a line per file that
 * loaded, exit 1 on any error.
 */
export function zoneCheckCommand(path: string): void {
  const { zones, poolFiles } = load(path);
  for (const warning of zones.warnings) process.stdout.write(`${formatZoneError(warning)} (warning)\n`);
  for (const error of zones.errors) process.stderr.write(`${formatZoneError(error)}\n`);
  for (const zone of zones.zones.values()) process.stdout.write(`${nameToText(zone.origin)} ${zone.file}: loaded ${zone.recordCount} records\n`);
  for (const error of poolFiles.errors) process.stderr.write(`${error}\n`);
  for (const [file, { nodes, pools }] of poolFiles.files) process.stdout.write(`${file}: ${count(nodes.length, 'node')}, ${count(pools.length, 'pool')}\n`);

  const errors = zones.errors.length + poolFiles.errors.length;
  if (errors > 0) {
    const failedFiles = [...zones.failedFiles, ...poolFiles.failedFiles];
    process.stderr.write(`${errors} error(s); ${failedFiles.length} file(s) not loaded: ${failedFiles.join(', ')}\n`);
    process.exitCode = EXIT_PROBLEMS;
  } else {
    process.stdout.write('OK\n');
  }
}

const NO_ZONES: LoadedZones = { zones: new Map(), errors: [], warnings: [], failedFiles: [] };
const NO_POOL_FILES: LoadedPoolFiles = { files: new Map(), errors: [], failedFiles: [] };

function load(path: string): { zones: LoadedZones; poolFiles: LoadedPoolFiles } {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_USAGE);
  }
  if (isFolder) return { zones: loadZoneDir(path), poolFiles: loadPoolFiles(path) };
  if (path.endsWith(ZONE_FILE_SUFFIX)) return { zones: checkZoneFile(path), poolFiles: NO_POOL_FILES };
  if (path.endsWith(POOL_FILE_SUFFIX)) return { zones: NO_ZONES, poolFiles: checkPoolFile(path) };
  throw new CliError(`${path} is not a folder, a zone file (*${ZONE_FILE_SUFFIX}) or a pool file (*${POOL_FILE_SUFFIX})`, EXIT_USAGE);
}

/** 1 node, 2 nodes. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
