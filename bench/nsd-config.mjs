// The nsd.conf that the benchmarks and the comparison tests run NSD with:
// everything it writes in `dir`, loopback only, no rate limiting (Debian's NSD
// has RRL on by default), no remote control.

export function nsdConfig({ dir, port, zones, zonesDir, serverCount = 1, verbosity = 0, extraServerConfig = [] }) {
  const q = JSON.stringify;
  const path = (name) => q(`${dir}/${name}`);
  return [
    'server:',
    '  ip-address: 127.0.0.1',
    `  port: ${port}`,
    `  server-count: ${serverCount}`,
    `  verbosity: ${verbosity}`,
    '  username: ""',
    '  chroot: ""',
    '  database: ""',
    // $INCLUDE paths in zone files are relative to it.
    ...(zonesDir === undefined ? [] : [`  zonesdir: ${q(zonesDir)}`]),
    `  pidfile: ${path('nsd.pid')}`,
    `  logfile: ${path('nsd.log')}`,
    `  zonelistfile: ${path('zone.list')}`,
    `  xfrdfile: ${path('xfrd.state')}`,
    `  xfrdir: ${path('xfr')}`,
    `  cookie-secret-file: ${path('cookiesecrets.txt')}`,
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    '  hide-version: yes',
    '  hide-identity: yes',
    ...extraServerConfig.map((line) => `  ${line}`),
    '',
    'remote-control:',
    '  control-enable: no',
    '',
    ...zones.flatMap((zone) => ['zone:', `  name: ${q(zone.origin.replace(/\.$/, '') || '.')}`, `  zonefile: ${q(zone.file)}`, '']),
  ].join('\n');
}
