import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkZoneFile, loadZoneDir } from '../../src/zone/load.js';
import { formatZoneError } from '../../src/zone/model.js';
import { nameToText } from '../../src/zone/name.js';
import { zoneDir } from '../helpers/zones.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/zones');
const APEX = '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n';

function origins(zones: Map<string, { origin: string; file: string }>): string[] {
  return [...zones.values()].map((zone) => `${nameToText(zone.origin)} ${zone.file}`);
}

describe('loadZoneDir', () => {
  it('loads every *.zone file in name order, the origin from the file name unless $ORIGIN gives one', () => {
    const dir = zoneDir({
      'b.test.zone': APEX,
      'a.test.zone': APEX,
      'named-by-origin.zone': `$ORIGIN c.test.\n${APEX}`,
      '2.0.192.in-addr.arpa.zone': APEX,
      'notes.txt': 'not a zone',
      'pool.yaml': 'not a zone either',
      '.#a.test.zone': 'an editor lock file',
      'includes/d.test.zone': 'a folder is not read',
    });
    const result = loadZoneDir(dir);
    expect(result.errors).toEqual([]);
    expect(origins(result.zones)).toEqual([
      '2.0.192.in-addr.arpa. 2.0.192.in-addr.arpa.zone',
      'a.test. a.test.zone',
      'b.test. b.test.zone',
      'c.test. named-by-origin.zone',
    ]);
    expect([...result.zones.keys()]).toEqual([...result.zones.values()].map((zone) => zone.key));
  });

  it('keys zones by folded origin', () => {
    const result = loadZoneDir(zoneDir({ 'Example.TEST.zone': APEX }));
    const [key] = result.zones.keys();
    expect(nameToText(key)).toBe('example.test.');
    expect(nameToText(result.zones.get(key)!.origin)).toBe('Example.TEST.');
  });

  it('reports every error of a broken file and serves only the good ones', () => {
    const result = loadZoneDir(join(FIXTURES, 'mixed'));
    expect(origins(result.zones)).toEqual(['good.test. good.test.zone']);
    expect(result.failedFiles).toEqual(['broken.test.zone']);
    expect(result.errors.map(formatZoneError)).toEqual([
      'broken.test.zone:6: A address: "192.0.2.300" is not an IPv4 address',
      'broken.test.zone:7: AAAA record has extra data "2001:db8::2"',
      'broken.test.zone:8: MX preference: "mail" is not an integer from 0 to 65535',
      'broken.test.zone:9: quoted string is not closed on its line',
      'broken.test.zone:11: alias.broken.test. has a CNAME, so it cannot hold A too (RFC 2181 §10.1)',
      'broken.test.zone:12: out-of-zone data: out.of.zone.test. is not in broken.test.',
    ]);
  });

  it('keeps serving the previous zone of a file that now fails, and drops it once the file is gone', () => {
    const dir = zoneDir({ 'a.test.zone': APEX, 'b.test.zone': APEX });
    const first = loadZoneDir(dir);
    writeFileSync(join(dir, 'a.test.zone'), `${APEX}www A 192.0.2.999\n`);
    writeFileSync(join(dir, 'b.test.zone'), `${APEX}www A 192.0.2.80\n`);
    writeFileSync(join(dir, 'new.test.zone'), 'garbage\n');

    const second = loadZoneDir(dir, first.zones);
    expect(second.failedFiles).toEqual(['a.test.zone', 'new.test.zone']);
    expect(second.errors.map(formatZoneError)).toEqual([
      'a.test.zone:5: A address: "192.0.2.999" is not an IPv4 address',
      'new.test.zone:1: record has no type',
      'new.test.zone: no SOA record at the apex new.test.',
      'new.test.zone: no NS records at the apex new.test.',
    ]);
    expect(origins(second.zones)).toEqual(['a.test. a.test.zone', 'b.test. b.test.zone']);
    const [aKey, bKey] = first.zones.keys();
    expect(second.zones.get(aKey)).toBe(first.zones.get(aKey));
    expect(second.zones.get(bKey)!.recordCount).toBe(4);

    renameSync(join(dir, 'a.test.zone'), join(dir, 'a.test.zone.off'));
    expect(origins(loadZoneDir(dir, second.zones).zones)).toEqual(['b.test. b.test.zone']);
  });

  it('gives errors and warnings by file, then line, each file named from the folder, $INCLUDEd ones too', () => {
    const result = loadZoneDir(
      zoneDir({
        'a.test.zone': `${APEX}alias CNAME ns1\nalias A 192.0.2.2\nwww A 192.0.2.300\n$INCLUDE sub/extra.zone\nafter A 192.0.2.999\nttl 60 TXT "x"\nttl 30 TXT "y"\n`,
        'sub/extra.zone': '; hosts\nprinter A 192.0.2.5\nscanner A 192.0.2.256\n',
        'b.test.zone': '$TTL 60\nwww A 192.0.2.1\nwww 30 A 192.0.2.2\n',
      }),
    );
    expect(result.errors.map(formatZoneError)).toEqual([
      'a.test.zone:6: alias.a.test. has a CNAME, so it cannot hold A too (RFC 2181 §10.1)',
      'a.test.zone:7: A address: "192.0.2.300" is not an IPv4 address',
      'a.test.zone:9: A address: "192.0.2.999" is not an IPv4 address',
      'b.test.zone: no SOA record at the apex b.test.',
      'b.test.zone: no NS records at the apex b.test.',
      'sub/extra.zone:3: A address: "192.0.2.256" is not an IPv4 address',
    ]);
    expect(result.warnings.map(formatZoneError)).toEqual([
      'a.test.zone:11: TTL 30 differs from 60 of the other ttl.a.test. TXT records (RFC 2181 §5.2); each keeps its own',
      'b.test.zone:3: TTL 30 differs from 60 of the other www.b.test. A records (RFC 2181 §5.2); each keeps its own',
    ]);
  });

  it('refuses a second file for an origin already loaded', () => {
    const result = loadZoneDir(zoneDir({ 'a.test.zone': APEX, 'z.zone': `$ORIGIN A.test.\n${APEX}` }));
    expect(origins(result.zones)).toEqual(['a.test. a.test.zone']);
    expect(result.failedFiles).toEqual(['z.zone']);
    expect(result.errors.map(formatZoneError)).toEqual(['z.zone: zone A.test. is already loaded from a.test.zone']);
  });

  it('reports a file name that spells no domain name', () => {
    const result = loadZoneDir(zoneDir({ 'a..test.zone': APEX }));
    expect(result.errors.map(formatZoneError)).toEqual(['a..test.zone: the file name gives no zone name: empty label in name "a..test"']);
    expect(result.failedFiles).toEqual(['a..test.zone']);
  });

  it('passes on warnings, and a zone with warnings still loads', () => {
    const result = loadZoneDir(zoneDir({ 'a.test.zone': `${APEX}www 60 A 192.0.2.1\nwww 30 A 192.0.2.2\n` }));
    expect(result.zones.size).toBe(1);
    expect(result.warnings.map(formatZoneError)).toEqual([
      'a.test.zone:6: TTL 30 differs from 60 of the other www.a.test. A records (RFC 2181 §5.2); each keeps its own',
    ]);
  });

  it('checks one file as the folder load would: its name or $ORIGIN gives the origin, $INCLUDE reads from its folder', () => {
    const dir = zoneDir({
      'a.test.zone': `${APEX}$INCLUDE inc/hosts\n`,
      'inc/hosts': 'printer A 192.0.2.5\n',
      'named.zone': `$ORIGIN c.test.\n${APEX}`,
      'broken.test.zone': `${APEX}$INCLUDE inc/bad\n`,
      'inc/bad': 'www A 192.0.2.300\n',
    });
    const one = checkZoneFile(join(dir, 'a.test.zone'));
    expect(one.errors).toEqual([]);
    expect(origins(one.zones)).toEqual(['a.test. a.test.zone']);
    expect([...one.zones.values()][0].recordCount).toBe(4);
    expect(origins(checkZoneFile(join(dir, 'named.zone')).zones)).toEqual(['c.test. named.zone']);
    const broken = checkZoneFile(join(dir, 'broken.test.zone'));
    expect(broken.errors.map(formatZoneError)).toEqual(['inc/bad:1: A address: "192.0.2.300" is not an IPv4 address']);
    expect(broken.failedFiles).toEqual(['broken.test.zone']);
  });

  it('throws on a folder it cannot read', () => {
    const missing = join(zoneDir({}), 'nope');
    expect(() => loadZoneDir(missing)).toThrow(`cannot read the zones folder ${missing}: ENOENT: no such file or directory, scandir '${missing}'`);
    const file = join(zoneDir({ 'x.zone': '' }), 'x.zone');
    expect(() => loadZoneDir(file)).toThrow(`cannot read the zones folder ${file}: ENOTDIR`);
    mkdirSync(join(missing), { recursive: true });
    expect(loadZoneDir(missing).zones.size).toBe(0);
  });
});
