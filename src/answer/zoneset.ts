import type { Zone } from '../zone/model.js';

/** The zones served at one moment. Immutable: a reload builds a new set and swaps it in. */
export class ZoneSet {
  readonly recordCount: number;

  constructor(readonly zones: ReadonlyMap<string, Zone>) {
    let count = 0;
    for (const zone of zones.values()) count += zone.recordCount;
    this.recordCount = count;
  }

  /** The closest enclosing zone of a folded wire name, or undefined when we serve none. */
  findZone(key: string): Zone | undefined {
    for (let i = 0; ; ) {
      const zone = this.zones.get(i === 0 ? key : key.slice(i));
      if (zone !== undefined) return zone;
      const len = key.charCodeAt(i);
      if (len === 0 || Number.isNaN(len)) return undefined;
      i += len + 1;
    }
  }
}
