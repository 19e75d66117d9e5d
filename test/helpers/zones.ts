import { createHash } from 'node:crypto';
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

/** The smallest zone a pool can live in: `example.test` with its SOA, NS and the NS's address. */
export const MINIMAL_ZONE = `$TTL 300
@    SOA ns1 hostmaster 1 3600 600 86400 60
@    NS  ns1
ns1  A   192.0.2.1
`;

/**
 * A pools file: nodes web1 and web2 (tokens `web1-token`, `web2-token`) and the
 * failover pool app.example.test. over them (web1 192.0.2.21 first, then web2
 * 192.0.2.22). By default the nodes promise a beat a minute, so they stay
 * unknown (up, by the startup rule) through a test.
 */
export function failoverPoolsFile({ ttl, intervalMs = 60_000, fall = 3, rise = 1 }: { ttl: number; intervalMs?: number; fall?: number; rise?: number }): string {
  return JSON.stringify({
    nodes: ['web1', 'web2'].map((id) => ({ id, intervalMs, fall, rise, tokenSha256: createHash('sha256').update(`${id}-token`).digest('hex') })),
    pools: [
      {
        name: 'app.example.test.',
        type: 'A',
        policy: 'failover',
        ttl,
        members: [
          { id: 'web1', node: 'web1', value: '192.0.2.21', priority: 0 },
          { id: 'web2', node: 'web2', value: '192.0.2.22', priority: 1 },
        ],
      },
    ],
  });
}
