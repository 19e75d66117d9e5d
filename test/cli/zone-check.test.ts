// `flipdns zone check`: every problem of the zone and pool files, in the order
// of the files and their lines; a folder or one file.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL_ZONE, failoverPoolsFile, zoneDir } from '../helpers/zones.js';
import { runCli } from './run-cli.js';

const POOLS = failoverPoolsFile({ ttl: 5 });

describe('flipdns zone check', () => {
  it('passes the example folder, with a line per zone and per pool file', async () => {
    const { code, stdout, stderr } = await runCli(['zone', 'check', 'zones']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^example\.test\. example\.test\.zone: loaded \d+ records$/m);
    expect(stdout).toMatch(/^2\.0\.192\.in-addr\.arpa\. 2\.0\.192\.in-addr\.arpa\.zone: loaded \d+ records$/m);
    expect(stdout).toMatch(/^example\.test\.pools\.json: 2 nodes, 2 pools\nOK\n$/m);
  });

  it('checks the pool files next to the zone files and reports every problem of them', async () => {
    const dir = zoneDir({
      'example.test.zone': MINIMAL_ZONE,
      'app.pools.json': POOLS,
      'broken.pools.json': '{\n  "nodes": [1 2]\n}\n',
      'typo.pools.json': POOLS.replaceAll('web', 'db').replace('app.example', 'typo.example').replace('"failover"', '"failovr"').replace(/"tokenSha256":"\w+"/, '"tokenSha256":"x"'),
    });
    const { code, stdout, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stdout).toBe('example.test. example.test.zone: loaded 3 records\napp.pools.json: 2 nodes, 1 pool\n');
    expect(stderr.split('\n')).toEqual([
      expect.stringMatching(/^broken\.pools\.json:2: not JSON: /),
      expect.stringMatching(/^typo\.pools\.json: nodes\[0\] db1: tokenSha256: /),
      'typo.pools.json: pools[0] typo.example.test.: policy: must be one of failover, multivalue, weighted',
      '3 error(s); 2 file(s) not loaded: broken.pools.json, typo.pools.json',
      '',
    ]);
  });

  it('gives the line of a JSON syntax error, in one line, whatever form the JSON parser reports it in', async () => {
    const dir = zoneDir({
      'example.test.zone': MINIMAL_ZONE,
      'comma.pools.json': '{\n  "nodes": [],\n  "pools": [1,,2]\n}\n',
      'short.pools.json': '{"a": tru}',
    });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "comma.pools.json:3: not JSON: unexpected ','\nshort.pools.json:1: not JSON: unexpected '}'\n2 error(s); 2 file(s) not loaded: comma.pools.json, short.pools.json\n",
    );
  });

  it("reports a node's own error once, not again for every member naming it", async () => {
    const dir = zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': POOLS.replace(/"tokenSha256":"\w+"/, '"tokenSha256":"SHA256_OF_WEB1_TOKEN"') });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^app\.pools\.json: nodes\[0\] web1: tokenSha256: must be the SHA-256 of the node's token, 64 lower-case hex digits \(sha256sum\)\n1 error\(s\); 1 file\(s\) not loaded: app\.pools\.json\n$/);
  });

  it('counts zone and pool errors together', async () => {
    const dir = zoneDir({ 'example.test.zone': `${MINIMAL_ZONE}www A 192.0.2.300\n`, 'app.pools.json': '[]' });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'example.test.zone:5: A address: "192.0.2.300" is not an IPv4 address\napp.pools.json: the file: must be an object\n2 error(s); 2 file(s) not loaded: example.test.zone, app.pools.json\n',
    );
  });

  it('says which field of a record holds a bad TTL', async () => {
    const dir = zoneDir({ 'example.test.zone': `${MINIMAL_ZONE}badttl abc IN A 192.0.2.1\nbadttl2 12x IN A 192.0.2.1\n` });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr.split('\n').slice(0, 2)).toEqual([
      'example.test.zone:5: "abc" is not a TTL, a class or a type',
      'example.test.zone:6: "12x" is not a TTL (seconds, or units as in 1h30m)',
    ]);
  });

  it('names the file, with no line, for a problem of the zone as a whole', async () => {
    const dir = zoneDir({ 'nosoa.test.zone': '$TTL 60\n@ NS ns1\nns1 A 192.0.2.1\n' });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr).toBe('nosoa.test.zone: no SOA record at the apex nosoa.test.\n1 error(s); 1 file(s) not loaded: nosoa.test.zone\n');
  });

  it('prints errors by file, then line, naming $INCLUDEd files from the folder', async () => {
    const dir = zoneDir({
      'example.test.zone': `${MINIMAL_ZONE}alias CNAME ns1\nalias A 192.0.2.2\nwww A 192.0.2.300\n$INCLUDE sub/extra.zone\n`,
      'sub/extra.zone': '; hosts\nprinter A 192.0.2.5\nscanner A 192.0.2.256\n',
    });
    const { code, stderr } = await runCli(['zone', 'check', dir]);
    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      'example.test.zone:6: alias.example.test. has a CNAME, so it cannot hold A too (RFC 2181 §10.1)',
      'example.test.zone:7: A address: "192.0.2.300" is not an IPv4 address',
      'sub/extra.zone:3: A address: "192.0.2.256" is not an IPv4 address',
      '3 error(s); 1 file(s) not loaded: example.test.zone',
      '',
    ]);
  });

  it('checks one zone file as the folder load would, and only that file', async () => {
    expect(await runCli(['zone', 'check', 'zones/example.test.zone'])).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^example\.test\. example\.test\.zone: loaded \d+ records\nOK\n$/),
      stderr: '',
    });
    const dir = zoneDir({ 'named.zone': `$ORIGIN other.test.\n${MINIMAL_ZONE}$INCLUDE inc/hosts\n`, 'inc/hosts': 'www A 192.0.2.300\n', 'other.pools.json': '{' });
    expect(await runCli(['zone', 'check', join(dir, 'named.zone')])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'inc/hosts:1: A address: "192.0.2.300" is not an IPv4 address\n1 error(s); 1 file(s) not loaded: named.zone\n',
    });
  });

  it('checks one pool file', async () => {
    expect(await runCli(['zone', 'check', 'zones/example.test.pools.json'])).toEqual({ code: 0, stdout: 'example.test.pools.json: 2 nodes, 2 pools\nOK\n', stderr: '' });
    const dir = zoneDir({ 'app.pools.json': POOLS.replace('"failover"', '"failovr"'), 'example.test.zone': 'not a zone' });
    expect(await runCli(['zone', 'check', join(dir, 'app.pools.json')])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'app.pools.json: pools[0] app.example.test.: policy: must be one of failover, multivalue, weighted\n1 error(s); 1 file(s) not loaded: app.pools.json\n',
    });
  });

  it('refuses a path that does not exist, or a file that is neither a zone nor a pool file, with one line and exit 2', async () => {
    const dir = zoneDir({ 'notes.txt': 'not a zone' });
    expect(await runCli(['zone', 'check', join(dir, 'nope')])).toEqual({ code: 2, stdout: '', stderr: `flipdns: cannot read ${join(dir, 'nope')}: ENOENT\n` });
    expect(await runCli(['zone', 'check', join(dir, 'notes.txt')])).toEqual({
      code: 2,
      stdout: '',
      stderr: `flipdns: ${join(dir, 'notes.txt')} is not a folder, a zone file (*.zone) or a pool file (*.pools.json)\n`,
    });
  });
});
