// Nodes and their health: the shared state every flipdns instance serves
// from. Health is decided once, in the store, on the store's clock, and every
// change carries a generation number that only grows.

/** Ids of nodes and pool members: short, safe in Redis keys, URLs and logs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A machine or service whose liveness is judged by the heartbeats it sends. */
export interface NodeSpec {
  id: string;
  /** Milliseconds between the heartbeats the node promises. */
  intervalMs: number;
  /** Missed intervals before the node is down: down when no beat came for fall × interval. */
  fall: number;
  /** Consecutive on-time heartbeats that bring a down node back up. */
  rise: number;
  /** SHA-256 (hex) of the node's heartbeat token; the token itself is never stored. */
  tokenHash: string;
}

/** A node not heard from for this many intervals is late, when its `fall` is larger. */
export const LATE_AFTER_INTERVALS = 2;

/** The `downReason` of a node taken down by its deadline. */
export const MISSED_DEADLINE = 'no heartbeat for fall x interval';

/** `unknown` until the first heartbeat or the first deadline, whichever comes first. */
export type Health = 'unknown' | 'up' | 'down';

/** Operator overrides, shown in status with who set them and why. */
export type AdminState = 'none' | 'drain' | 'force-up' | 'force-down';

export interface NodeState {
  health: Health;
  /** Store-clock ms of the last heartbeat. */
  lastBeatAt?: number;
  /** Store-clock ms by which the next heartbeat must come. */
  deadlineAt?: number;
  /** Consecutive on-time beats while down, counting toward `rise`. */
  streak: number;
  /** Store-clock ms of the last health change. */
  changedAt?: number;
  /** Not down, but not heard from for `LATE_AFTER_INTERVALS` intervals: a beat was missed. */
  late?: true;
  /** Why a down node is down: its deadline passed, or what its agent reported. */
  downReason?: string;
  admin: AdminState;
  adminReason?: string;
  adminBy?: string;
  /** Generation of this node's last change. */
  generation: number;
}

export interface NodeRecord {
  spec: NodeSpec;
  state: NodeState;
}
