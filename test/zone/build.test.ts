import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BuiltZone, buildZone } from '../../src/zone/build.js';
import { type Zone, formatZoneError } from '../../src/zone/model.js';
import { foldCase, nameToText, textToName } from '../../src/zone/name.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { TYPE, typeToText } from '../../src/zone/types.js';
import { zoneDir } from '../helpers/zones.js';

const ORIGIN = textToName('example.test.', undefined);
const HEAD = '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n';

/** Parses `body` after a valid SOA/NS head (unless `head` replaces it) and builds the zone; parse errors fail the test. */
function build(body: string, head = HEAD, others: Record<string, string> = {}): BuiltZone {
  const dir = zoneDir({ 'example.test.zone': head + body, ...others });
  const parsed = parseZoneFile(join(dir, 'example.test.zone'), { origin: ORIGIN, zonesDir: dir });
  expect(parsed.errors.map(formatZoneError)).toEqual([]);
  return buildZone(parsed.origin, 'example.test.zone', parsed.records);
}

function zoneOf(body: string): Zone {
  const built = build(body);
  expect(built.errors.map(formatZoneError)).toEqual([]);
  return built.zone!;
}

/** Each node as `name: TYPE xN …`, `(cut)` on delegations, in insertion order. */
function nodes(zone: Zone): string[] {
  return [...zone.nodes.values()].map((node) => {
    const sets = [...node.rrsets.values()].map((rrset) => `${typeToText(rrset.type)} x${rrset.rdatas.length}`);
    return `${nameToText(node.wire)}:${node.delegation ? ' (cut)' : ''}${sets.map((s) => ` ${s}`).join('')}`;
  });
}

function node(zone: Zone, name: string) {
  return zone.nodes.get(foldCase(textToName(name, ORIGIN)));
}

describe('buildZone: what a zone must have', () => {
  it('needs a SOA and NS at the apex', () => {
    const built = build('www A 192.0.2.1\n', '$TTL 300\n');
    expect(built.zone).toBeUndefined();
    expect(built.errors.map(formatZoneError)).toEqual([
      'example.test.zone: no SOA record at the apex example.test.',
      'example.test.zone: no NS records at the apex example.test.',
    ]);
  });

  it('allows exactly one SOA, at the apex', () => {
    const built = build('@ SOA ns1 hostmaster 2 3600 600 86400 60\nsub SOA ns1 hostmaster 1 3600 600 86400 60\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n');
    expect(built.errors.map(formatZoneError)).toEqual([
      'example.test.zone:5: second SOA record; a zone has exactly one',
      'example.test.zone:6: SOA record at sub.example.test.; it belongs at the apex example.test.',
    ]);
  });

  it('refuses out-of-zone data, other classes, and RDATA over 65535 bytes', () => {
    const strings = Array.from({ length: 257 }, () => `"${'x'.repeat(255)}"`).join(' ');
    const built = build(`www.other.test. A 192.0.2.1\nexample.test.evil. A 192.0.2.1\nch CH TXT "x"\nbig IN TXT ${strings}\n`);
    expect(built.errors.map(formatZoneError)).toEqual([
      'example.test.zone:5: out-of-zone data: www.other.test. is not in example.test.',
      'example.test.zone:6: out-of-zone data: example.test.evil. is not in example.test.',
      'example.test.zone:7: class CH is not served; records must be IN',
      'example.test.zone:8: RDATA of 65792 bytes is over the limit of 65535',
    ]);
  });

  it('keeps a CNAME alone at its name (RFC 2181 §10.1), whichever comes first', () => {
    const built = build('a CNAME www\na A 192.0.2.1\nb A 192.0.2.1\nb TXT "x"\nb CNAME www\nc CNAME www\nc CNAME ftp\nd CNAME www\nd CNAME www\n@ CNAME www\n');
    expect(built.errors.map(formatZoneError)).toEqual([
      'example.test.zone:6: a.example.test. has a CNAME, so it cannot hold A too (RFC 2181 §10.1)',
      'example.test.zone:9: b.example.test. has A, TXT, so it cannot hold a CNAME too (RFC 2181 §10.1)',
      'example.test.zone:11: c.example.test. has more than one CNAME',
      'example.test.zone:14: example.test. has SOA, NS, so it cannot hold a CNAME too (RFC 2181 §10.1)',
    ]);
  });

  it('names the included file in errors that come from it', () => {
    const built = build('$INCLUDE more\n', HEAD, { more: '\nwww.other.test. A 192.0.2.1\n' });
    expect(built.errors.map(formatZoneError)).toEqual(['more:2: out-of-zone data: www.other.test. is not in example.test.']);
  });
});

describe('buildZone: warnings', () => {
  it('warns about differing TTLs in an RRset and keeps each one (RFC 2181 §5.2)', () => {
    const built = build('www 300 A 192.0.2.1\nwww 60 A 192.0.2.2\nwww 300 A 192.0.2.3\n');
    expect(built.warnings.map(formatZoneError)).toEqual([
      'example.test.zone:6: TTL 60 differs from 300 of the other www.example.test. A records (RFC 2181 §5.2); each keeps its own',
    ]);
    expect(node(built.zone!, 'www')!.rrsets.get(TYPE.A)!.ttls).toEqual([300, 60, 300]);
  });

  it('drops data occluded by a delegation, keeping A and AAAA below it as glue', () => {
    const built = build(
      [
        'sub NS ns.sub',
        'sub NS ns.elsewhere.test.',
        'sub DS \\# 4 30390d02',
        'sub A 192.0.2.50',
        'sub MX 10 mail',
        'ns.sub A 192.0.2.53',
        'ns.sub AAAA 2001:db8::53',
        'www.sub TXT "hidden"',
        'deeper.sub NS ns.deeper.sub',
        'ns.deeper.sub A 192.0.2.54',
        '',
      ].join('\n'),
    );
    expect(built.errors).toEqual([]);
    expect(built.warnings.map(formatZoneError)).toEqual([
      'example.test.zone:9: sub.example.test. MX occluded by delegation at sub.example.test.; dropped',
      'example.test.zone:12: www.sub.example.test. TXT occluded by delegation at sub.example.test.; dropped',
      'example.test.zone:13: deeper.sub.example.test. NS occluded by delegation at sub.example.test.; dropped',
    ]);
    const zone = built.zone!;
    expect(nodes(zone)).toEqual([
      'example.test.: SOA x1 NS x1',
      'ns1.example.test.: A x1',
      'sub.example.test.: (cut) NS x2 DS x1 A x1',
      'ns.sub.example.test.: A x1 AAAA x1',
      'ns.deeper.sub.example.test.: A x1',
      'deeper.sub.example.test.:',
    ]);
    expect(zone.recordCount).toBe(10);
  });
});

describe('buildZone: the zone', () => {
  it('merges identical records silently', () => {
    const built = build('www A 192.0.2.1\nwww A 192.0.2.1\nwww 60 A 192.0.2.1\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n');
    expect(built.errors).toEqual([]);
    expect(built.warnings).toEqual([]);
    expect(node(built.zone!, 'www')!.rrsets.get(TYPE.A)!.rdatas).toHaveLength(1);
    expect(built.zone!.recordCount).toBe(4);
  });

  it('merges duplicates in big RRsets too', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `big A 10.0.0.${i}\n`).join('');
    expect(node(zoneOf(lines + lines), 'big')!.rrsets.get(TYPE.A)!.rdatas).toHaveLength(100);
  });

  it('creates empty non-terminals between owners and the apex, spelled as the owner', () => {
    const zone = zoneOf('A.B.Deep TXT "x"\n*.wild A 192.0.2.1\n');
    expect(nodes(zone)).toEqual([
      'example.test.: SOA x1 NS x1',
      'ns1.example.test.: A x1',
      'A.B.Deep.example.test.: TXT x1',
      'B.Deep.example.test.:',
      'Deep.example.test.:',
      '*.wild.example.test.: A x1',
      'wild.example.test.:',
    ]);
    expect(node(zone, 'b.deep')!.key).toBe(foldCase(textToName('b.deep', ORIGIN)));
  });

  it('fills the zone fields and the targets of CNAME, NS, MX, SRV and SOA', () => {
    const zone = zoneOf('Alias CNAME WWW\n@ MX 10 Mail\n_sip._tcp SRV 1 2 5060 SIP.elsewhere.test.\n');
    expect(zone.origin).toBe(ORIGIN);
    expect(zone.key).toBe(ORIGIN);
    expect(zone.file).toBe('example.test.zone');
    expect(zone.apex).toBe(zone.nodes.get(ORIGIN));
    expect(zone.apex.delegation).toBe(false);
    expect(zone.recordCount).toBe(6);
    const targets = (name: string, type: number) => node(zone, name)!.rrsets.get(type)!.targets!.map(nameToText);
    expect(targets('alias', TYPE.CNAME)).toEqual(['www.example.test.']);
    expect(targets('@', TYPE.MX)).toEqual(['mail.example.test.']);
    expect(targets('@', TYPE.NS)).toEqual(['ns1.example.test.']);
    expect(targets('@', TYPE.SOA)).toEqual(['ns1.example.test.']);
    expect(targets('_sip._tcp', TYPE.SRV)).toEqual(['sip.elsewhere.test.']);
    expect(node(zone, 'ns1')!.rrsets.get(TYPE.A)!.targets).toBeUndefined();
    expect(node(zone, 'alias')!.wire).toBe(textToName('Alias', ORIGIN));
  });

  it('takes the negative TTL as the lower of the SOA TTL and MINIMUM (RFC 2308 §5)', () => {
    const soa = (ttl: number, minimum: number) => `@ ${ttl} SOA ns1 hostmaster 1 3600 600 86400 ${minimum}\n@ NS ns1\n`;
    const negativeTtl = (head: string) => build('', head).zone!.negativeTtl;
    expect(negativeTtl(soa(300, 60))).toBe(60);
    expect(negativeTtl(soa(30, 3600))).toBe(30);
    expect(negativeTtl(soa(30, 2147483647))).toBe(30);
  });
});
