// The example zones in zones/ are what `npm start` serves and what the README
// shows: they must load cleanly and keep showing every rule.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadZoneDir } from '../../src/zone/load.js';
import { formatZoneError } from '../../src/zone/model.js';
import { foldCase, nameToText, textToName } from '../../src/zone/name.js';
import { TYPE, typeToText } from '../../src/zone/types.js';

const ZONES = join(import.meta.dirname, '../../zones');
const result = loadZoneDir(ZONES);
const EXAMPLE = textToName('example.test.', undefined);
const zone = result.zones.get(EXAMPLE)!;

function rrset(name: string, type: number) {
  return zone.nodes.get(foldCase(textToName(name, EXAMPLE)))?.rrsets.get(type);
}

describe('example zones', () => {
  it('load without errors or warnings', () => {
    expect(result.errors.map(formatZoneError)).toEqual([]);
    expect(result.warnings.map(formatZoneError)).toEqual([]);
    expect([...result.zones.values()].map((z) => `${nameToText(z.origin)} ${z.file} ${z.recordCount}`)).toEqual([
      '2.0.192.in-addr.arpa. 2.0.192.in-addr.arpa.zone 6',
      'example.test. example.test.zone 29',
    ]);
  });

  it('example.test shows every rule', () => {
    const names = (type: number, name: string) => rrset(name, type)!.targets!.map(nameToText);
    expect(zone.negativeTtl).toBe(300);
    expect(names(TYPE.NS, '@')).toEqual(['ns1.example.test.', 'ns2.example.test.']);
    for (const ns of ['ns1', 'ns2', 'www', 'mail']) {
      expect(rrset(ns, TYPE.A), ns).toBeDefined();
      expect(rrset(ns, TYPE.AAAA), ns).toBeDefined();
    }
    expect(names(TYPE.MX, '@')).toEqual(['mail.example.test.']);
    expect(names(TYPE.CNAME, 'ftp')).toEqual(['www.example.test.']);
    expect(names(TYPE.CNAME, 'chain1')).toEqual(['chain2.example.test.']);
    expect(names(TYPE.CNAME, 'chain2')).toEqual(['www.example.test.']);
    expect(names(TYPE.CNAME, 'external')).toEqual(['www.elsewhere.test.']);
    expect(rrset('@', TYPE.TXT)!.rdatas[0]).toBe('\x0ev=spf1 mx -all\x1ea "quoted" word; not a comment\x0bbare-string');
    expect(names(TYPE.SRV, '_sip._tcp')).toEqual(['www.example.test.']);
    expect(rrset('@', TYPE.CAA)).toBeDefined();
    expect(rrset('*.wild', TYPE.A)).toBeDefined();
    expect(rrset('explicit.wild', TYPE.A)).toBeDefined();
    expect(zone.nodes.get(foldCase(textToName('ent.wild', EXAMPLE)))!.rrsets.size).toBe(0);
    const sub = zone.nodes.get(foldCase(textToName('sub', EXAMPLE)))!;
    expect(sub.delegation).toBe(true);
    expect(names(TYPE.NS, 'sub')).toEqual(['ns1.sub.example.test.', 'ns.elsewhere.test.']);
    expect(rrset('ns1.sub', TYPE.A)).toBeDefined();
    expect(nameToText(zone.nodes.get(foldCase(textToName('mixedcase', EXAMPLE)))!.wire)).toBe('MixedCase.example.test.');
    expect(rrset('private', 65534)!.rdatas).toEqual(['\xab\xcd\xef']);
    expect(rrset('printer', TYPE.A)).toBeDefined();
    expect(rrset('scanner', TYPE.AAAA)!.ttls).toEqual([600]);
  });

  it('the reverse zone maps addresses back to names', () => {
    const reverse = result.zones.get(textToName('2.0.192.in-addr.arpa.', undefined))!;
    const ptrs = [...reverse.nodes.values()].flatMap((node) =>
      [...node.rrsets.values()].filter((set) => set.type === TYPE.PTR).map((set) => `${nameToText(node.wire)} ${typeToText(set.type)} ${nameToText(set.rdatas[0])}`),
    );
    expect(ptrs).toEqual([
      '1.2.0.192.in-addr.arpa. PTR ns1.example.test.',
      '10.2.0.192.in-addr.arpa. PTR www.example.test.',
      '25.2.0.192.in-addr.arpa. PTR mail.example.test.',
    ]);
  });
});
