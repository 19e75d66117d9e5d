import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatZoneError } from '../../src/zone/model.js';
import { nameToText, textToName } from '../../src/zone/name.js';
import { MAX_INCLUDE_DEPTH, type ParseOptions, type ParsedZoneFile, parseZoneFile } from '../../src/zone/parse.js';
import { classToText, typeToText } from '../../src/zone/types.js';
import { zoneDir } from '../helpers/zones.js';

const ORIGIN = textToName('example.test.', undefined);

/** Parses `text` as example.test.zone in a fresh zones folder that also holds `others`. */
function parse(text: string, others: Record<string, string> = {}, options: Partial<ParseOptions> = {}): ParsedZoneFile {
  const dir = zoneDir({ 'example.test.zone': text, ...others });
  return parseZoneFile(join(dir, 'example.test.zone'), { origin: ORIGIN, zonesDir: dir, ...options });
}

/** `file:line owner ttl class type hex` per record. */
function records(parsed: ParsedZoneFile): string[] {
  return parsed.records.map(
    (r) => `${r.file}:${r.line} ${nameToText(r.owner)} ${r.ttl} ${classToText(r.class)} ${typeToText(r.type)} ${Buffer.from(r.rdata, 'latin1').toString('hex')}`,
  );
}

function errors(parsed: ParsedZoneFile): string[] {
  return parsed.errors.map(formatZoneError);
}

function warnings(parsed: ParsedZoneFile): string[] {
  return parsed.warnings.map(formatZoneError);
}

describe('parseZoneFile: names', () => {
  it('completes relative names with the origin; @ is the origin; absolute names stay', () => {
    const parsed = parse('$TTL 60\n@ A 192.0.2.1\nwww A 192.0.2.2\nwww.example.test. A 192.0.2.3\nMixed.Case A 192.0.2.4\n');
    expect(records(parsed)).toEqual([
      'example.test.zone:2 example.test. 60 IN A c0000201',
      'example.test.zone:3 www.example.test. 60 IN A c0000202',
      'example.test.zone:4 www.example.test. 60 IN A c0000203',
      'example.test.zone:5 Mixed.Case.example.test. 60 IN A c0000204',
    ]);
    expect(parsed.origin).toBe(ORIGIN);
    expect(parsed.errors).toEqual([]);
  });

  it('takes the zone origin from a $ORIGIN before the first record; later ones only change names', () => {
    const parsed = parse('$ORIGIN other.test.\n$TTL 60\n@ A 192.0.2.1\n$ORIGIN sub\nwww A 192.0.2.2\n$ORIGIN elsewhere.test.\n');
    expect(nameToText(parsed.origin)).toBe('other.test.');
    expect(records(parsed)).toEqual([
      'example.test.zone:3 other.test. 60 IN A c0000201',
      'example.test.zone:5 www.sub.other.test. 60 IN A c0000202',
    ]);
  });

  it('gives a blank owner the previous record\'s, and refuses it on the first record', () => {
    const parsed = parse('$TTL 60\n  A 192.0.2.9\nwww A 192.0.2.1\n  AAAA 2001:db8::1\n\tTXT "x"\n');
    expect(errors(parsed)).toEqual(['example.test.zone:2: record starts with a blank, but no earlier record gives an owner']);
    expect(records(parsed).map((r) => r.split(' ').slice(1, 5).join(' '))).toEqual([
      'www.example.test. 60 IN A',
      'www.example.test. 60 IN AAAA',
      'www.example.test. 60 IN TXT',
    ]);
  });
});

describe('parseZoneFile: TTL and class', () => {
  it('uses $TTL for records without a TTL, and their own TTL otherwise, in either order with the class', () => {
    const parsed = parse('$TTL 1h\na A 192.0.2.1\nb 300 IN A 192.0.2.2\nc IN 1h30m A 192.0.2.3\nd 2W A 192.0.2.4\ne IN A 192.0.2.5\n');
    expect(records(parsed).map((r) => r.split(' ').slice(1, 4).join(' '))).toEqual([
      'a.example.test. 3600 IN',
      'b.example.test. 300 IN',
      'c.example.test. 5400 IN',
      'd.example.test. 1209600 IN',
      'e.example.test. 3600 IN',
    ]);
    expect(parsed.warnings).toEqual([]);
  });

  it('without $TTL takes the previous explicit TTL (RFC 1035), with one warning', () => {
    const parsed = parse('a 120 A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3\n');
    expect(parsed.records.map((r) => r.ttl)).toEqual([120, 120, 120]);
    expect(warnings(parsed)).toEqual(["example.test.zone:2: no $TTL: records without a TTL take the previous record's (RFC 1035)"]);
  });

  it('falls back to defaultTtl, and errs with no TTL at all', () => {
    expect(parse('a A 192.0.2.1\n', {}, { defaultTtl: 99 }).records[0].ttl).toBe(99);
    expect(errors(parse('a A 192.0.2.1\n'))).toEqual(['example.test.zone:1: record has no TTL and no $TTL or earlier record gives one']);
  });

  it('gives an omitted class the previous record\'s, IN at first', () => {
    const parsed = parse('$TTL 1\na A 192.0.2.1\nb CH A 192.0.2.2\nc A 192.0.2.3\nd CLASS1 A 192.0.2.4\n');
    expect(parsed.records.map((r) => classToText(r.class))).toEqual(['IN', 'CH', 'CH', 'IN']);
  });

  it('says which field a word took where a TTL or a class may stand, and calls it an unknown type only where the type stands', () => {
    const parsed = parse(
      [
        '$TTL 60',
        'a abc IN A 192.0.2.1',
        'b abc A 192.0.2.1',
        'c abc 300 A 192.0.2.1',
        'd IN abc A 192.0.2.1',
        'e 300 INN A 192.0.2.1',
        'f 1h IN abc A 192.0.2.1',
        'g FOO 1',
        'h MXX 10 mail other',
        'i IN 12x A 192.0.2.1',
      ].join('\n'),
    );
    expect(errors(parsed)).toEqual([
      'example.test.zone:2: "abc" is not a TTL, a class or a type',
      'example.test.zone:3: "abc" is not a TTL, a class or a type',
      'example.test.zone:4: "abc" is not a TTL, a class or a type',
      'example.test.zone:5: "abc" is not a TTL or a type',
      'example.test.zone:6: "INN" is not a class or a type',
      'example.test.zone:7: unknown type "abc"',
      'example.test.zone:8: unknown type "FOO"',
      'example.test.zone:9: unknown type "MXX"',
      'example.test.zone:10: "12x" is not a TTL (seconds, or units as in 1h30m)',
    ]);
  });

  it('reports bad and out-of-range TTLs', () => {
    expect(errors(parse('a 1x A 192.0.2.1\nb 2147483648 A 192.0.2.1\n$TTL 5y\n'))).toEqual([
      'example.test.zone:1: "1x" is not a TTL (seconds, or units as in 1h30m)',
      'example.test.zone:2: TTL "2147483648" is over the maximum of 2147483647 seconds',
      'example.test.zone:3: "5y" is not a TTL (seconds, or units as in 1h30m)',
    ]);
  });
});

describe('parseZoneFile: errors', () => {
  it('reports every error of a file, each with its line, and keeps the good records', () => {
    const parsed = parse(
      [
        '$TTL 60',
        'good1 A 192.0.2.1',
        'bad1 A 192.0.2.300',
        'bad2 FOO 1',
        'bad3 300 600 A 192.0.2.1',
        'bad4 IN CH A 192.0.2.1',
        'bad5 IN',
        'bad6 ANY 1',
        'bad7 OPT \\# 0',
        'bad..8 A 192.0.2.1',
        'bad9 TXT "open',
        'bad10 A 192.0.2.1 )',
        'bad11 MX 10',
        'bad12 DS 1 2 3 abcd',
        'bad13 CNAME "quoted"',
        '$GENERATE 1-10 h$ A 192.0.2.$',
        '$TTL',
        '$ORIGIN a b',
        '$INCLUDE',
        'good2 ( A',
        '  192.0.2.2 )',
        'bad14 A (',
        '192.0.2.3',
      ].join('\n'),
    );
    expect(errors(parsed)).toEqual([
      'example.test.zone:3: A address: "192.0.2.300" is not an IPv4 address',
      'example.test.zone:4: unknown type "FOO"',
      'example.test.zone:5: second TTL "600" in one record',
      'example.test.zone:6: second class "CH" in one record',
      'example.test.zone:7: record has no type',
      'example.test.zone:8: type ANY cannot appear in a zone',
      'example.test.zone:9: type OPT cannot appear in a zone',
      'example.test.zone:10: empty label in name "bad..8"',
      'example.test.zone:11: quoted string is not closed on its line',
      'example.test.zone:12: ")" without a matching "("',
      'example.test.zone:13: MX record is missing its exchange',
      'example.test.zone:14: unsupported type DS; write it in RFC 3597 form (\\# len hex)',
      'example.test.zone:15: CNAME target: a domain name cannot be quoted ("quoted")',
      'example.test.zone:16: unknown directive $GENERATE',
      'example.test.zone:17: $TTL takes one TTL',
      'example.test.zone:18: $ORIGIN takes one domain name',
      'example.test.zone:19: $INCLUDE takes a file name and an optional origin',
      'example.test.zone:22: "(" is never closed',
    ]);
    expect(records(parsed)).toEqual(['example.test.zone:2 good1.example.test. 60 IN A c0000201', 'example.test.zone:20 good2.example.test. 60 IN A c0000202']);
  });

  it('accepts directives in any case and a type written as TYPEnnn', () => {
    const parsed = parse('$ttl 60\n$origin example.test.\na TYPE1 192.0.2.1\nb type65534 \\# 1 ff\n');
    expect(records(parsed)).toEqual(['example.test.zone:3 a.example.test. 60 IN A c0000201', 'example.test.zone:4 b.example.test. 60 IN TYPE65534 ff']);
  });

  it('reports a file it cannot read without a line', () => {
    const dir = zoneDir({});
    const parsed = parseZoneFile(join(dir, 'missing.zone'), { origin: ORIGIN, zonesDir: dir });
    expect(errors(parsed)).toEqual(['missing.zone: cannot read the file (ENOENT)']);
  });
});

describe('parseZoneFile: $INCLUDE', () => {
  it('reads a file relative to the zones folder; its records name that file and line', () => {
    const parsed = parse('$TTL 60\n@ A 192.0.2.1\n$INCLUDE includes/hosts\nafter A 192.0.2.9\n', {
      'includes/hosts': '; hosts\nprinter A 192.0.2.2\nbad A 1\n',
    });
    expect(records(parsed)).toEqual([
      'example.test.zone:2 example.test. 60 IN A c0000201',
      'includes/hosts:2 printer.example.test. 60 IN A c0000202',
      'example.test.zone:4 after.example.test. 60 IN A c0000209',
    ]);
    expect(errors(parsed)).toEqual(['includes/hosts:3: A address: "1" is not an IPv4 address']);
  });

  it('applies an origin argument, and whatever the file sets, inside the include only', () => {
    const parsed = parse('$TTL 60\n$INCLUDE "sub.hosts" sub\nwww A 192.0.2.1\n  AAAA 2001:db8::1\n', {
      'sub.hosts': 'www A 192.0.2.2\n$TTL 5\n$ORIGIN other.test.\nx A 192.0.2.3\n',
    });
    expect(records(parsed).map((r) => r.split(' ').slice(0, 3).join(' '))).toEqual([
      'sub.hosts:1 www.sub.example.test. 60',
      'sub.hosts:4 x.other.test. 5',
      'example.test.zone:3 www.example.test. 60',
      'example.test.zone:4 www.example.test. 60',
    ]);
    expect(nameToText(parsed.origin)).toBe('example.test.');
  });

  it('refuses paths that leave the zones folder', () => {
    const outside = mkdtempSync(join(tmpdir(), 'flipdns-outside-'));
    writeFileSync(join(outside, 'secret'), 'stolen A 192.0.2.66\n');
    const dir = zoneDir({ 'example.test.zone': `$TTL 60\n$INCLUDE ../x\n$INCLUDE ${join(outside, 'secret')}\n$INCLUDE a/../../x\n$INCLUDE link\n$INCLUDE absent\n` });
    symlinkSync(join(outside, 'secret'), join(dir, 'link'));
    const parsed = parseZoneFile(join(dir, 'example.test.zone'), { origin: ORIGIN, zonesDir: dir });
    expect(errors(parsed)).toEqual([
      'example.test.zone:2: $INCLUDE of "../x", which is outside the zones folder',
      `example.test.zone:3: $INCLUDE of "${join(outside, 'secret')}", which is outside the zones folder`,
      'example.test.zone:4: $INCLUDE of "a/../../x", which is outside the zones folder',
      'example.test.zone:5: $INCLUDE of "link", which links outside the zones folder',
      'example.test.zone:6: $INCLUDE of "absent", which cannot be read (ENOENT)',
    ]);
    expect(parsed.records).toEqual([]);
  });

  it('accepts an absolute path inside the zones folder', () => {
    const dir = zoneDir({ 'inc/a': 'a A 192.0.2.1\n' });
    writeFileSync(join(dir, 'example.test.zone'), `$TTL 60\n$INCLUDE ${join(dir, 'inc/a')}\n`);
    const parsed = parseZoneFile(join(dir, 'example.test.zone'), { origin: ORIGIN, zonesDir: dir });
    expect(records(parsed)).toEqual(['inc/a:1 a.example.test. 60 IN A c0000201']);
  });

  it('stops a file that includes itself at the nesting limit', () => {
    const parsed = parse('$TTL 60\n$INCLUDE self\n', { self: 'a A 192.0.2.1\n$INCLUDE self\n' });
    expect(parsed.records).toHaveLength(MAX_INCLUDE_DEPTH);
    expect(errors(parsed)).toEqual([`self:2: $INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep (does a file include itself?)`]);
  });
});
