import { describe, expect, it } from 'vitest';
import { ZoneLexer, ZoneSyntaxError, decodeEscapes } from '../../src/zone/lexer.js';

interface Line {
  line: number;
  ownerOmitted: boolean;
  tokens: string[];
}

/** Every logical line: tokens, quoted ones shown in «», or the error. */
function lex(text: string): Array<Line | { errorLine: number; error: string }> {
  const lexer = new ZoneLexer(text);
  const lines = [];
  while (lexer.next()) {
    if (lexer.error !== undefined) {
      lines.push({ errorLine: lexer.errorLine, error: lexer.error });
      continue;
    }
    const tokens = lexer.texts.slice(0, lexer.count).map((token, i) => (lexer.quoted[i] ? `«${token}»` : token));
    lines.push({ line: lexer.line, ownerOmitted: lexer.ownerOmitted, tokens });
  }
  return lines;
}

describe('ZoneLexer', () => {
  it('splits on blanks and numbers lines, skipping blank and comment-only lines', () => {
    expect(lex('www IN A 192.0.2.1\n\n; comment\n\tIN\tAAAA 2001:db8::1 ; trailing\r\nmail A 192.0.2.2')).toEqual([
      { line: 1, ownerOmitted: false, tokens: ['www', 'IN', 'A', '192.0.2.1'] },
      { line: 4, ownerOmitted: true, tokens: ['IN', 'AAAA', '2001:db8::1'] },
      { line: 5, ownerOmitted: false, tokens: ['mail', 'A', '192.0.2.2'] },
    ]);
  });

  it('joins the lines between parentheses into one record on the line it starts', () => {
    expect(lex('@ SOA ns hm (\n  1 ; serial\n  2 3 4\n  5 )\nnext A 192.0.2.1\n')).toEqual([
      { line: 1, ownerOmitted: false, tokens: ['@', 'SOA', 'ns', 'hm', '1', '2', '3', '4', '5'] },
      { line: 5, ownerOmitted: false, tokens: ['next', 'A', '192.0.2.1'] },
    ]);
  });

  it('treats parentheses and quotes as delimiters even without blanks', () => {
    expect(lex('a TXT("x"y)')).toEqual([{ line: 1, ownerOmitted: false, tokens: ['a', 'TXT', '«x»', 'y'] }]);
  });

  it('delivers quoted strings unescaped, with ; ( ) and blanks kept', () => {
    expect(lex('t TXT "a \\"b\\" \\\\ \\065\\066; (c) d" ""')).toEqual([
      { line: 1, ownerOmitted: false, tokens: ['t', 'TXT', '«a "b" \\ AB; (c) d»', '«»'] },
    ]);
  });

  it('keeps the bytes of a latin1 text as they are', () => {
    const utf8AsLatin1 = Buffer.from('"héllo" ünquoted', 'utf8').toString('latin1');
    const [line] = lex(`t TXT ${utf8AsLatin1}`) as Line[];
    expect(line.tokens.slice(2)).toEqual([`«${Buffer.from('héllo').toString('latin1')}»`, Buffer.from('ünquoted').toString('latin1')]);
  });

  it('leaves escapes in bare tokens raw, and an escaped delimiter inside the token', () => {
    expect(lex('a\\.b\\032c\\;d\\(e TXT x\\ y')).toEqual([
      { line: 1, ownerOmitted: false, tokens: ['a\\.b\\032c\\;d\\(e', 'TXT', 'x\\ y'] },
    ]);
  });

  it('reports a ")" without "(" on its line and goes on with the next line', () => {
    expect(lex('a A 192.0.2.1 )\nb A 192.0.2.2\n')).toEqual([
      { errorLine: 1, error: '")" without a matching "("' },
      { line: 2, ownerOmitted: false, tokens: ['b', 'A', '192.0.2.2'] },
    ]);
  });

  it('reports a "(" that is never closed on the line it opens', () => {
    expect(lex('x A 192.0.2.1\na SOA ns hm (\n1 2 3 4 5\nb A 192.0.2.2\n')).toEqual([
      { line: 1, ownerOmitted: false, tokens: ['x', 'A', '192.0.2.1'] },
      { errorLine: 2, error: '"(" is never closed' },
    ]);
  });

  it('reports a quote not closed on its line, and resumes after it', () => {
    expect(lex('a TXT "abc\nb TXT "x\\\nc TXT "ok"')).toEqual([
      { errorLine: 1, error: 'quoted string is not closed on its line' },
      { errorLine: 2, error: 'quoted string is not closed on its line' },
      { line: 3, ownerOmitted: false, tokens: ['c', 'TXT', '«ok»'] },
    ]);
  });

  it('recovers from an unclosed quote inside parentheses at the closing parenthesis', () => {
    expect(lex('a TXT ( "abc\n "def" )\nb A 192.0.2.2')).toEqual([
      { errorLine: 1, error: 'quoted string is not closed on its line' },
      { line: 3, ownerOmitted: false, tokens: ['b', 'A', '192.0.2.2'] },
    ]);
  });

  it('reports a bad escape in a quoted string', () => {
    expect(lex('a TXT "\\256"')).toEqual([{ errorLine: 1, error: 'bad escape "\\256" in "\\256"' }]);
  });

  it('ends at the end of the text without a final newline, and on an empty text', () => {
    expect(lex('a A 192.0.2.1')).toHaveLength(1);
    expect(lex('')).toEqual([]);
    expect(lex('\n\n  ; only a comment')).toEqual([]);
  });
});

describe('decodeEscapes', () => {
  it('turns \\X into X and \\DDD into the byte', () => {
    expect(decodeEscapes('plain')).toBe('plain');
    expect(decodeEscapes('a\\"b\\\\c\\.d\\000\\255')).toBe('a"b\\c.d\x00\xff');
  });

  it('refuses short or too large \\DDD and a lone backslash', () => {
    expect(() => decodeEscapes('a\\25')).toThrow(new ZoneSyntaxError('bad escape "\\25" in "a\\25"'));
    expect(() => decodeEscapes('\\300')).toThrow('bad escape "\\300" in "\\300"');
    expect(() => decodeEscapes('\\1a2')).toThrow('bad escape "\\1a2"');
    expect(() => decodeEscapes('ab\\')).toThrow('"ab\\" ends with a lone backslash');
  });
});
