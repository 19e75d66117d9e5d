// Where run-time records and pools go in the served zones, and why one cannot
// go anywhere. One set of rules for the overlay, which serves the result, and
// for the admin API, which refuses a change these rules would not serve.
//
// The rules are the zone file's: a name must lie in a zone served here and not
// below a zone cut; a CNAME stands alone at its name, never at an apex; an NS
// set below an apex is a zone cut, as in a zone file (referrals with glue), and
// below it only glue can be added: addresses of the cut's name servers. A
// pool replaces a zone file's RRset of its name and type, but never hides a
// run-time record: the two would silently fight over one name.

import type { ZoneSet } from '../answer/zoneset.js';
import type { RRset, Zone, ZoneNode } from '../zone/model.js';
import { ROOT_WIRE, foldCase, nameToText, parentOf, textToName } from '../zone/name.js';
import { targetOf } from '../zone/rdata.js';
import { TYPE, typeFromText } from '../zone/types.js';
import { type PoolSpec, type RuntimeRecord, recordKey } from './model.js';
import { runtimeRdatas } from './records.js';

export interface Problem {
  what: 'pool' | 'record';
  /** poolKey or recordKey. */
  key: string;
  /** `pool A: app.example.test. is in no zone served here` */
  message: string;
  /** A clash with what is there (HTTP 409), rather than a name that cannot be used (400). */
  conflict: boolean;
}

export interface Layout {
  /** The zones to serve: the static ones, with copies of those where something was placed. */
  zones: Map<string, Zone>;
  /** The node and type of each pool placed, by key; its RRset is an empty stand-in until the overlay fills it. */
  pools: Map<string, { node: ZoneNode; type: number }>;
  problems: Problem[];
}

export function layout(staticZones: ZoneSet, records: Iterable<RuntimeRecord>, pools: Iterable<[string, PoolSpec]>): Layout {
  const zones = new Map(staticZones.zones);
  const copies = new Map<string, Zone>();
  const owned = new Set<ZoneNode>();
  const problems: Problem[] = [];
  const recordAt = new Map<ZoneNode, Map<number, string>>();

  const place = (what: Problem['what'], key: string, name: string, typeName: string): { node: ZoneNode; zone: Zone; type: number } | undefined => {
    const type = typeFromText(typeName)!;
    const refuse = (message: string, conflict: boolean): undefined => {
      problems.push({ what, key, message: `${what} ${typeName}: ${name} ${message}`, conflict });
      return undefined;
    };
    const wire = textToName(name, ROOT_WIRE);
    const nameKey = foldCase(wire);
    const zone = staticZones.findZone(nameKey);
    if (zone === undefined) return refuse(`is in no zone served here (zones: ${[...staticZones.zones.values()].map((z) => nameToText(z.origin)).join(', ') || 'none'})`, false);
    let copy = copies.get(zone.key);
    if (copy === undefined) {
      copy = { ...zone, nodes: new Map(zone.nodes) };
      copies.set(zone.key, copy);
      zones.set(zone.key, copy);
    }
    for (let above = parentOf(nameKey); above !== undefined && above.length > zone.key.length; above = parentOf(above)) {
      const cut = copy.nodes.get(above);
      if (!cut?.delegation) continue;
      // Below a cut only glue belongs: the addresses of the cut's own name servers.
      const glue = (type === TYPE.A || type === TYPE.AAAA) && what === 'record' && cut.rrsets.get(TYPE.NS)?.targets?.includes(nameKey);
      if (!glue) return refuse(`lies below the zone cut at ${nameToText(above)}${what === 'record' && (type === TYPE.A || type === TYPE.AAAA) ? ' (only the addresses of its name servers, glue, belong there)' : ''}`, false);
    }
    const node = ownNode(copy, nameKey, wire, owned);
    if (type === TYPE.CNAME && nameKey === zone.key) return refuse('is a zone apex: a CNAME there would sit beside its SOA and NS', true);
    if (node.rrsets.has(TYPE.CNAME) && type !== TYPE.CNAME) return refuse('has a CNAME, which stands alone at its name', true);
    if (type === TYPE.CNAME && [...node.rrsets.keys()].some((t) => t !== TYPE.CNAME)) return refuse(`has other records (${[...node.rrsets.keys()].filter((t) => t !== TYPE.CNAME).length} types): a CNAME stands alone at its name`, true);
    if (node.delegation && type !== TYPE.NS && type !== TYPE.DS) return refuse('is a zone cut: only NS and DS records belong there', true);
    return { node, zone: copy, type };
  };

  // NS first: a run-time NS set below an apex is a zone cut, which the other placements must see.
  const sorted = [...records].sort((a, b) => Number(b.type === 'NS') - Number(a.type === 'NS'));
  for (const record of sorted) {
    const placed = place('record', recordKey(record), record.name, record.type);
    if (placed === undefined) continue;
    const { node, zone, type } = placed;
    if (type === TYPE.NS && node.key !== zone.key) node.delegation = true;
    const rdatas = runtimeRdatas(record);
    node.rrsets.set(type, withTargets({ type, ttls: rdatas.map(() => record.ttl), rdatas }));
    if (!recordAt.has(node)) recordAt.set(node, new Map());
    recordAt.get(node)!.set(type, record.name);
  }

  const placedPools = new Map<string, { node: ZoneNode; type: number }>();
  for (const [key, spec] of pools) {
    const placed = place('pool', key, spec.name, spec.type);
    if (placed === undefined) continue;
    const { node, type } = placed;
    const record = recordAt.get(node)?.get(type);
    if (record !== undefined) {
      problems.push({ what: 'pool', key, message: `pool ${spec.type}: ${spec.name} would hide the run-time record ${record} ${spec.type}`, conflict: true });
      problems.push({ what: 'record', key: recordKey({ name: record, type: spec.type }), message: `record ${spec.type}: ${record} is hidden by the pool of that name and type, which answers instead`, conflict: true });
    }
    node.rrsets.set(type, { type, ttls: [], rdatas: [] });
    placedPools.set(key, { node, type });
  }
  for (const copy of copies.values()) copy.apex = copy.nodes.get(copy.key)!;
  return { zones, pools: placedPools, problems };
}

/** A node of `zone` the layout may change: a copy of the static one, or a new one with its empty non-terminals. */
function ownNode(zone: Zone, key: string, wire: string, owned: Set<ZoneNode>): ZoneNode {
  const existing = zone.nodes.get(key);
  if (existing !== undefined && owned.has(existing)) return existing;
  const node: ZoneNode = existing === undefined ? { wire, key, rrsets: new Map(), delegation: false } : { ...existing, rrsets: new Map(existing.rrsets) };
  zone.nodes.set(key, node);
  owned.add(node);
  if (existing === undefined) {
    let above = parentOf(key);
    let aboveWire = parentOf(wire);
    while (above !== undefined && aboveWire !== undefined && !zone.nodes.has(above)) {
      zone.nodes.set(above, { wire: aboveWire, key: above, rrsets: new Map(), delegation: false });
      above = parentOf(above);
      aboveWire = parentOf(aboveWire);
    }
  }
  return node;
}

/** The targets of CNAME, NS, MX and SRV records, which the lookup follows and adds addresses for. */
export function withTargets(rrset: RRset): RRset {
  if (rrset.type === TYPE.CNAME || rrset.type === TYPE.NS || rrset.type === TYPE.MX || rrset.type === TYPE.SRV) {
    rrset.targets = rrset.rdatas.map((rdata) => targetOf(rrset.type, rdata)!);
  }
  return rrset;
}
