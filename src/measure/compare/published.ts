// What others publish for each method: printed beside the measured rows, so
// that an operator sees where this machine's figures stand. Gathered on
// 2026-11-27; the sources are the projects' own documents and code.

import type { Method } from './row.js';

export interface PublishedFigure {
  method: Method;
  what: string;
  figure: string;
  source: string;
}

export const PUBLISHED: PublishedFigure[] = [
  { method: 'garp', what: 'keepalived VRRP, advert_int 1 s', figure: 'takeover 3.5-3.6 s', source: 'keepalived.conf(5); keepalived vrrp.c (master down = 3 × advert + skew)' },
  { method: 'router', what: 'BGP + BFD, BIRD / FRR defaults', figure: '0.5 s (100 ms × 5) / 0.9 s (300 ms × 3)', source: 'bird.sgml; FRR bfd documentation' },
  { method: 'router', what: 'BGP without BFD, hold timer defaults', figure: 'BIRD 240 s, FRR 180 s (9 s datacenter profile), GoBGP and MetalLB 90 s', source: 'bird.sgml; FRR bgp_vty.c; GoBGP and MetalLB defaults' },
  { method: 'router', what: 'cloud floating IP (AWS Elastic IP)', figure: 'move 5-6 s; users wait ~20 s for consistency', source: 'NGINX high-availability docs' },
  { method: 'garp', what: 'MetalLB layer 2', figure: 'memberlist ~4 s; reported 35 s to 18 min', source: 'metallb announcer.go; issues 524, 298, 767, 1147' },
  { method: 'garp', what: 'Pacemaker IPaddr2', figure: 'corosync token 3 s + GARPs; fencing 10-60 s', source: 'ClusterLabs IPaddr2; RHEL 8.4 defaults' },
  { method: 'garp', what: 'no gratuitous ARP (Linux client defaults)', figure: 'up to ~50 s on the dead MAC (reachable 15-45 s, delay 5 s, probes 3 s)', source: 'Linux ip-sysctl.rst (derived from defaults)' },
  { method: 'client', what: 'Redis Sentinel', figure: '≥ 30 s by default (down-after-milliseconds 30000); ~3 s tuned', source: 'sentinel.conf' },
  { method: 'client', what: 'MongoDB replica set', figure: 'election "should not typically exceed 12 s"', source: 'MongoDB replica set elections' },
  { method: 'dns', what: 'Route 53 health checks', figure: 'checks every 10 or 30 s × threshold; ~10 s seen with TTL 5', source: 'AWS Route 53 docs; keycloak-benchmark PR 647' },
  { method: 'dns', what: 'Azure Traffic Manager', figure: '(interval + timeout) × (failures + 1) + TTL = 70 s in the docs example', source: 'MicrosoftDocs azure-docs 104593' },
  { method: 'dns', what: 'resolvers that extend TTLs', figure: '8.74% of 8,524 resolvers', source: 'Bhowmick et al., PAM 2023' },
];
