// The namespace lab cleans up after labs whose process was killed (SIGKILL
// runs no teardown): their namespaces are deleted before a new lab makes its
// own; a live lab's are left alone. Needs root: fails, never skips, without.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Lab } from '../../../src/measure/drill/lab.js';
import { NetLab } from '../../../src/measure/compare/netns.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const namespaces = (): string[] => ip('netns', 'list').split('\n').map((line) => line.split(' ')[0]).filter(Boolean);

it('deletes the namespaces of a lab whose process is gone, and keeps a live process\'s', async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root: run the tests as root');
  const live = new Set(readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map((pid) => Number(pid) % 100_000));
  let dead = 99_999;
  while (live.has(dead)) dead--;
  const stale = `fdc${dead}x7-client`;
  const alive = `fdc${process.pid % 100_000}x99-router`;
  ip('netns', 'add', stale);
  ip('netns', 'add', alive);
  const lab = new Lab('flipdns-lab-netns-');
  try {
    const net = new NetLab(lab);
    const host = await net.host('a');
    expect(namespaces()).toContain(host.ns);
    expect(namespaces()).not.toContain(stale);
    expect(namespaces()).toContain(alive);
  } finally {
    await lab.close();
    for (const ns of [stale, alive]) if (namespaces().includes(ns)) ip('netns', 'delete', ns);
  }
  expect(namespaces().filter((ns) => ns.startsWith(`fdc${process.pid % 100_000}x`))).toEqual([]);
});
