// What every method of redirection reports for one failure, so that the four
// can be set side by side: the phases (detect, decide, redirect, clients
// moved), the share of client requests that failed or reached the dead node
// over time, and what was measured or modelled, with which parameters.

export type Method = 'client' | 'router' | 'garp' | 'dns';

export interface Phases {
  /** The failure noticed (a missed advert, a BFD or hold timeout, a missed heartbeat), ms after T0. */
  detectMs?: number;
  /** The decision to redirect (a new master, a withdrawn route, a down decision), ms after T0. */
  decideMs?: number;
  /** The directive sent (GARP, route installed, commands sent, DNS answer changed), ms after T0. */
  redirectMs?: number;
  /** The last client moved: every request from then on reached the survivor, ms after T0. */
  movedMs?: number;
}

export interface RowResult {
  method: Method;
  /** One line: the method and its variant, e.g. "router: BGP + BFD (BIRD 2)". */
  name: string;
  how: 'measured' | 'modelled';
  /** The settings used, and the kernel settings read back from the lab (neighbour timers and such). */
  parameters: Record<string, string | number>;
  phases: Phases;
  /** Share of client requests that failed or reached the dead node, per bin: [ms after T0 (bin start), share 0..1]. */
  curve: Array<[number, number]>;
  /** Requests counted (measured rows). */
  requests?: number;
  notes: string[];
}

/** How a row is run once; `trial` numbers the runs of one row (to vary phases between them). */
export type RowRunner = (context: RowContext) => Promise<RowResult>;

export interface RowContext {
  trial: number;
  /** Deterministic randomness for phases (e.g. when to fail within an advert cycle). */
  random: () => number;
  progress: (line: string) => void;
  /** Shorter observations and fewer clients, for CI. */
  short: boolean;
}
