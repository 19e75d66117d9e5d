// The knot.conf that the benchmark runs Knot DNS with: everything it writes in
// `dir`, loopback only, one UDP worker (as NSD's server-count 1 and one
// flipdns process), no rate limiting (Knot has none unless mod-rrl is
// configured), the zone file read once and never written back.

export function knotConfig({ dir, port, zones }) {
  const q = JSON.stringify;
  return [
    'server:',
    `    rundir: ${q(dir)}`,
    `    pidfile: ${q(`${dir}/knot.pid`)}`,
    `    listen: 127.0.0.1@${port}`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    '',
    'control:',
    `    listen: ${q(`${dir}/knot.sock`)}`,
    '',
    'database:',
    `    storage: ${q(`${dir}/db`)}`,
    '',
    'log:',
    `  - target: ${q(`${dir}/knot.log`)}`,
    '    any: warning',
    '',
    'zone:',
    ...zones.flatMap((zone) => [
      `  - domain: ${q(zone.origin.replace(/\.$/, '') || '.')}`,
      `    file: ${q(zone.file)}`,
      `    storage: ${q(dir)}`,
      '    zonefile-sync: -1',
      '    journal-content: none',
    ]),
    '',
  ].join('\n');
}
