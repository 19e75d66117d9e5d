// The worked example of docs/pools.md cannot drift from what runs: every shell
// block of its section is in docs/example/worked-example.sh verbatim and in the
// same order (CI runs the script), every file it shows in full is the file in
// docs/example/, and those files load as the doc's commands fill them in.
// No process is started: the script itself is run by .ci/run.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPoolFiles } from '../../src/pools/files.js';
import { loadZoneDir } from '../../src/zone/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

const HEADING = '## Worked example';
const SCRIPT = 'docs/example/worked-example.sh';
const ZONES = 'docs/example/zones';

/** Markers on the line before a fence: `<!-- file: PATH -->`, the block is that file in full; `<!-- not in the script... -->`, a shell block the script does not run. */
const FILE_MARKER = /^<!--\s*file:\s*(\S+)\s*-->$/;
const NOT_RUN_MARKER = /^<!--\s*not in the script\b.*-->$/;

interface Block {
  /** 1-based line of the opening fence in docs/pools.md. */
  line: number;
  info: string;
  /** The content, without the fence's indentation. */
  text: string;
  marker: string;
}

/** The lines of the worked-example section, from its heading to the next `## `. */
function section(): { lines: string[]; firstLine: number } {
  const lines = read('docs/pools.md').split('\n');
  const start = lines.findIndex((line) => line.startsWith(HEADING));
  if (start < 0) throw new Error(`docs/pools.md has no "${HEADING}" heading`);
  const after = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return { lines: lines.slice(start, after < 0 ? undefined : after), firstLine: start + 1 };
}

function fencedBlocks(): Block[] {
  const { lines, firstLine } = section();
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1];
    let marker = '';
    for (let j = i - 1; j >= 0; j--) {
      if (lines[j].trim() === '') continue;
      marker = lines[j].trim().startsWith('<!--') ? lines[j].trim() : '';
      break;
    }
    const content: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== `${indent}\`\`\``; j++) {
      if (lines[j].trim() !== '' && !lines[j].startsWith(indent)) throw new Error(`docs/pools.md:${firstLine + j}: a line of the block at line ${firstLine + i} is indented less than its fence`);
      content.push(lines[j].slice(indent.length));
    }
    if (j === lines.length) throw new Error(`docs/pools.md:${firstLine + i}: the block is not closed`);
    blocks.push({ line: firstLine + i, info: open[2].trim(), text: content.join('\n') + '\n', marker });
    i = j;
  }
  return blocks;
}

const isShell = (block: Block): boolean => block.info === 'sh' || block.info === 'bash';
const blocks = fencedBlocks();
const runBlocks = blocks.filter((block) => isShell(block) && !NOT_RUN_MARKER.test(block.marker));
const fileBlocks = blocks.filter((block) => FILE_MARKER.test(block.marker));

describe('the worked example of docs/pools.md', () => {
  it('has the shell blocks the script runs, and the files it shows', () => {
    expect(runBlocks.length).toBeGreaterThanOrEqual(10);
    expect(fileBlocks.length).toBeGreaterThanOrEqual(2);
  });

  it('has every shell block in the script verbatim, in the order of the doc', () => {
    const script = read(SCRIPT);
    let from = 0;
    for (const block of runBlocks) {
      const at = script.indexOf(block.text, from);
      const anywhere = script.indexOf(block.text);
      const where = `docs/pools.md:${block.line}: the block\n${block.text}`;
      expect(anywhere, `${where}is not in ${SCRIPT} (mark it <!-- not in the script: why --> if the script must not run it)`).toBeGreaterThanOrEqual(0);
      expect(at, `${where}is in ${SCRIPT} before the block above it`).toBeGreaterThanOrEqual(0);
      from = at + block.text.length;
    }
  });

  it('shows each file in full, as it is in docs/example/', () => {
    for (const block of fileBlocks) {
      const path = FILE_MARKER.exec(block.marker)![1];
      expect(path.startsWith('docs/example/'), `docs/pools.md:${block.line}: ${path} is not under docs/example/`).toBe(true);
      expect(block.text, `docs/pools.md:${block.line}: differs from ${path}`).toBe(read(path));
    }
  });

  it('shows every file of docs/example/zones', () => {
    const shown = fileBlocks.map((block) => FILE_MARKER.exec(block.marker)![1]);
    for (const file of readdirSync(join(ROOT, ZONES))) expect(shown, `${ZONES}/${file} is not shown in docs/pools.md`).toContain(`${ZONES}/${file}`);
  });

  describe('its zone and pools files, filled in by the sed of the doc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flipdns-worked-example-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    // s/PLACEHOLDER/$VARIABLE/ of the doc's sed: each placeholder gets the SHA-256 of a token.
    const sedBlock = runBlocks.find((block) => /^sed /m.test(block.text));
    const substitutions = [...(sedBlock?.text ?? '').matchAll(/s\/(\w+)\/\$(\w+)\//g)].map(([, placeholder, variable]) => ({ placeholder, variable }));
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

    it('has a sed that fills every placeholder of the pools file', () => {
      expect(substitutions.map((s) => s.placeholder)).toEqual(['SHA256_OF_WEB1_TOKEN', 'SHA256_OF_WEB2_TOKEN']);
      const pools = read(`${ZONES}/app.example.com.pools.json`);
      for (const { placeholder } of substitutions) expect(pools).toContain(`"tokenSha256": "${placeholder}"`);
    });

    it('load without a problem: the zone, two nodes and the failover pool at its apex', () => {
      writeFileSync(join(dir, 'app.example.com.zone'), read(`${ZONES}/app.example.com.zone`));
      let pools = read(`${ZONES}/app.example.com.pools.json`);
      for (const { placeholder, variable } of substitutions) pools = pools.replace(placeholder, sha256(`token of ${variable}`));
      writeFileSync(join(dir, 'app.example.com.pools.json'), pools);

      const zones = loadZoneDir(dir);
      expect(zones.errors).toEqual([]);
      expect(zones.warnings).toEqual([]);
      expect(zones.zones.size).toBe(1);

      const loaded = loadPoolFiles(dir);
      expect(loaded.errors).toEqual([]);
      const file = loaded.files.get('app.example.com.pools.json')!;
      expect(file.nodes.map((node) => [node.id, node.intervalMs, node.fall, node.rise])).toEqual([
        ['web1', 1000, 3, 2],
        ['web2', 1000, 3, 2],
      ]);
      expect(file.pools.map((pool) => [pool.name, pool.type, pool.policy, pool.members.map((m) => [m.node, m.value, m.priority])])).toEqual([
        ['app.example.com.', 'A', 'failover', [['web1', '192.0.2.21', 0], ['web2', '192.0.2.22', 1]]],
      ]);
    });
  });

  it('is run by .ci/run', () => {
    expect(read('.ci/run')).toMatch(/^.*\bbash docs\/example\/worked-example\.sh$/m);
  });
});
