import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ZoneSet } from '../../src/answer/zoneset.js';
import { loadZoneDir } from '../../src/zone/load.js';
import { formatZoneError } from '../../src/zone/model.js';

/** Writes `files` (relative path → content) into a fresh temp folder and returns its path. */
export function zoneDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flipdns-zones-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Loads zone files that must be free of errors. */
export function zoneSetOf(files: Record<string, string>): ZoneSet {
  const result = loadZoneDir(zoneDir(files));
  if (result.errors.length > 0) throw new Error(result.errors.map(formatZoneError).join('\n'));
  return new ZoneSet(result.zones);
}

/** A zone with one example of every answer rule, shared by the answer, wire and server tests. */
export const RULES_ZONE = `$ORIGIN example.test.
$TTL 300
@        IN SOA ns1 hostmaster 2026112401 3600 600 86400 60
@        NS    ns1
@        NS    ns.elsewhere.example.
ns1      A     192.0.2.1
ns1      AAAA  2001:db8::1
WWW      A     192.0.2.10
mail     MX    10 mx1
mx1      A     192.0.2.20
alias    CNAME WWW
chain    CNAME alias
loop1    CNAME loop2
loop2    CNAME loop1
out      CNAME www.elsewhere.example.
cross    CNAME www.other.test.
dangling CNAME nothere
*.wild   A     192.0.2.30
explicit.wild TXT "explicit"
deep.ent.wild TXT "deep"
*.wc     CNAME WWW
sub      NS    ns.sub
sub      NS    ns.elsewhere.example.
ns.sub   A     192.0.2.40
a.b.c    TXT   "x"
_sip._tcp SRV  0 5 5060 WWW
big      TXT   "${'a'.repeat(200)}"
big      TXT   "${'b'.repeat(200)}"
big      TXT   "${'c'.repeat(200)}"
`;

export const OTHER_ZONE = `$TTL 120
@   SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 30
@   NS  ns1.example.test.
www A   198.51.100.7
`;

export const RULES_FILES = { 'example.test.zone': RULES_ZONE, 'other.test.zone': OTHER_ZONE };
