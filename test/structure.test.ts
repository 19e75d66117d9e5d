// The dependency rules of src/, read from the import lines: zone/ is the
// ground, wire/ stands on answer/ and zone/ only, the serving path never
// imports the measuring side, health/ knows no pools, and no two folders
// import each other, however indirectly.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** folder → the folders its files import (relative imports only). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const from = relative(SRC, dirname(file)).split('/')[0];
    if (!graph.has(from)) graph.set(from, new Set());
    for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
      const to = relative(SRC, dirname(resolve(dirname(file), match[1]))).split('/')[0];
      if (to !== from && !to.startsWith('..')) graph.get(from)!.add(to);
    }
  }
  return graph;
}

describe('the structure of src/', () => {
  const graph = folderGraph();
  const importsOf = (folder: string): string[] => [...(graph.get(folder) ?? [])].sort();

  it('zone/ is the ground: it imports no other folder', () => {
    expect(importsOf('zone')).toEqual([]);
  });

  it('wire/ imports only answer/ and zone/', () => {
    expect(importsOf('wire').filter((to) => to !== 'answer' && to !== 'zone')).toEqual([]);
  });

  it('the serving path never imports the measuring side', () => {
    for (const folder of ['server', 'answer', 'wire', 'pools', 'health']) expect(importsOf(folder), folder).not.toContain('measure');
  });

  it('health/ (the shared state) imports no pools/', () => {
    expect(importsOf('health')).not.toContain('pools');
  });

  it('has no import cycle between folders', () => {
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]): void => {
      for (const next of graph.get(folder) ?? []) {
        const at = path.indexOf(next);
        if (at >= 0) cycles.push([...path.slice(at), next].join(' -> '));
        else visit(next, [...path, next]);
      }
    };
    for (const folder of graph.keys()) visit(folder, [folder]);
    expect([...new Set(cycles)]).toEqual([]);
  });
});
