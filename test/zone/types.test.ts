import { describe, expect, it } from 'vitest';
import { TYPE, classFromText, classToText, isQueryOnlyType, typeFromText, typeToText } from '../../src/zone/types.js';

describe('types', () => {
  it('reads mnemonics in any case and the RFC 3597 TYPEnnn form', () => {
    expect(typeFromText('A')).toBe(TYPE.A);
    expect(typeFromText('aaaa')).toBe(TYPE.AAAA);
    expect(typeFromText('Caa')).toBe(TYPE.CAA);
    expect(typeFromText('TYPE65534')).toBe(65534);
    expect(typeFromText('type1')).toBe(TYPE.A);
    expect(typeFromText('TYPE0')).toBe(0);
  });

  it('refuses what names no type, including dns-packet-only spellings', () => {
    for (const text of ['', 'FOO', 'TYPE', 'TYPE65536', 'TYPE1x', 'TYPE-1', 'TYPE000001', '*', 'UNKNOWN_5', 'IN']) {
      expect(typeFromText(text), text).toBeUndefined();
    }
  });

  it('writes mnemonics, and TYPEnnn for numbers without one', () => {
    expect(typeToText(TYPE.SRV)).toBe('SRV');
    expect(typeToText(65534)).toBe('TYPE65534');
  });

  it('has the numbers the server uses', () => {
    expect(TYPE).toEqual({ A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, DS: 43, ANY: 255, CAA: 257 });
  });

  it('knows the types a zone cannot hold (RFC 6895 §3.1)', () => {
    for (const type of [0, TYPE.OPT, 128, 251, 252, TYPE.ANY]) expect(isQueryOnlyType(type), String(type)).toBe(true);
    for (const type of [TYPE.A, TYPE.DS, 127, 256, TYPE.CAA, 65534]) expect(isQueryOnlyType(type), String(type)).toBe(false);
  });

  it('reads data classes and CLASSnnn, but not ANY', () => {
    expect(classFromText('IN')).toBe(1);
    expect(classFromText('ch')).toBe(3);
    expect(classFromText('HS')).toBe(4);
    expect(classFromText('CLASS1')).toBe(1);
    expect(classFromText('CLASS65280')).toBe(65280);
    expect(classFromText('ANY')).toBeUndefined();
    expect(classFromText('CLASS65536')).toBeUndefined();
    expect(classFromText('A')).toBeUndefined();
    expect(classToText(3)).toBe('CH');
    expect(classToText(65280)).toBe('CLASS65280');
  });
});
