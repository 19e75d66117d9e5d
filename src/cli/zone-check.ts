import { loadZoneDir } from '../zone/load.js';
import { formatZoneError } from '../zone/model.js';
import { nameToText } from '../zone/name.js';
import { EXIT_PROBLEMS } from './exit-codes.js';

/** Like named-checkzone: every problem as `file:line: message`, a summary per zone, exit 1 on any error. */
export function zoneCheckCommand(dir: string): void {
  const result = loadZoneDir(dir);
  for (const warning of result.warnings) process.stdout.write(`${formatZoneError(warning)} (warning)\n`);
  for (const error of result.errors) process.stderr.write(`${formatZoneError(error)}\n`);
  for (const zone of result.zones.values()) process.stdout.write(`${nameToText(zone.origin)} ${zone.file}: loaded ${zone.recordCount} records\n`);
  if (result.errors.length > 0) {
    process.stderr.write(`${result.errors.length} error(s); ${result.failedFiles.length} zone file(s) not loaded\n`);
    process.exitCode = EXIT_PROBLEMS;
  } else {
    process.stdout.write('OK\n');
  }
}
