// Mutated zone files must give errors, never exceptions: a reload with a broken
// file has to leave the server serving.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadZoneDir } from '../../src/zone/load.js';
import { zoneDir } from '../helpers/zones.js';

const BASE = `$ORIGIN f.test.
$TTL 60
@ SOA ns hm 1 2 3 4 5
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
mx MX 10 www
txt TXT "a b" c
srv._tcp SRV 1 2 3 www
caa CAA 0 issue "x"
* AAAA ::1
x TYPE65534 \\# 3 abcdef
sub NS ns.sub
ns.sub A 192.0.2.9
( ) ; comment
`;
const ALPHABET = ' \t\n()";\\$@.*#0123456789abcdefxyzAINSOACNAMETXT-:/\x00\xff';

it('loads 2,000 randomly mutated zone files without an exception', () => {
  const dir = zoneDir({});
  let seed = 1;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 2000; i++) {
    const text = BASE.split('');
    for (let edits = 1 + random(8); edits > 0; edits--) {
      const at = random(text.length);
      const op = random(3);
      if (op === 0) text.splice(at, 1);
      else if (op === 1) text.splice(at, 0, ALPHABET[random(ALPHABET.length)]);
      else text[at] = ALPHABET[random(ALPHABET.length)];
    }
    writeFileSync(join(dir, 'f.test.zone'), text.join(''), 'latin1');
    expect(() => loadZoneDir(dir)).not.toThrow();
  }
});
