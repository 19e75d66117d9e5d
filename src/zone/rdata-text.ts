import { ZoneLexer, ZoneSyntaxError } from './lexer.js';
import { ROOT_WIRE } from './name.js';
import { encodeRdata } from './rdata.js';

/**
 * One RDATA value in zone-file presentation form (`10 mail.example.test.`,
 * `"some text"`, `\# 3 abcdef`) to wire form, with the zone parser's own rules.
 * Names must be absolute: there is no origin outside a zone file.
 */
export function rdataFromText(type: number, text: string): string {
  const lexer = new ZoneLexer(Buffer.from(text, 'utf8').toString('latin1'));
  if (!lexer.next()) throw new ZoneSyntaxError('empty value');
  if (lexer.error !== undefined) throw new ZoneSyntaxError(lexer.error);
  const rdata = encodeRdata(type, lexer, 0, ROOT_WIRE);
  if (lexer.next()) throw new ZoneSyntaxError(`"${text}" holds more than one line`);
  return rdata;
}
