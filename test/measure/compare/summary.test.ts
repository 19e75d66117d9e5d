// Trials of one row summed up: phases as mean [min-max], curves averaged per bin.

import { expect, it } from 'vitest';
import { summarize } from '../../../src/measure/compare/compare.js';
import type { RowResult } from '../../../src/measure/compare/row.js';

const trial = (movedMs: number, curve: Array<[number, number]>): RowResult => ({
  method: 'garp',
  name: 'no GARP',
  how: 'measured',
  parameters: {},
  phases: { detectMs: 300, movedMs },
  curve,
  notes: [],
});

it('counts a trial whose clients had all moved as 0 in the later bins another trial still observed', () => {
  const [row] = summarize([
    [trial(2000, [[0, 1], [1000, 1], [2000, 0]])],
    [trial(4000, [[0, 1], [1000, 1], [2000, 1], [3000, 1], [4000, 0]])],
  ]);
  expect(row.curve).toEqual([[0, 1], [1000, 1], [2000, 0.5], [3000, 0.5], [4000, 0]]);
  expect(row.phases.movedMs).toMatchObject({ mean: 3000, min: 2000, max: 4000 });
});

it('leaves out a trial that says nothing about a bin (its clients had not all moved)', () => {
  const unfinished = trial(2000, [[0, 1]]);
  delete unfinished.phases.movedMs;
  const [row] = summarize([[unfinished], [trial(2000, [[0, 1], [1000, 0.5], [2000, 0]])]]);
  expect(row.curve).toEqual([[0, 1], [1000, 0.5], [2000, 0]]);
});
