// Mistakes on the command line: one line on stderr, exit 2, nothing sent.

import { describe, expect, it } from 'vitest';
import { deadServerUrl, runCli } from './run-cli.js';

const USAGE_ERRORS: Array<[string, string[], RegExp]> = [
  ['an unknown policy', ['pool', 'create', 'app.example.test.', 'A', '--policy', 'random', '--member', 'id=a,node=n,value=192.0.2.1', '--token', 't'], /Allowed choices are failover, multivalue, weighted/],
  ['a member without its node and value', ['pool', 'create', 'app.example.test.', 'A', '--policy', 'failover', '--member', 'id=a', '--token', 't'], /missing node, value/],
  ['a member field it does not know', ['pool', 'create', 'app.example.test.', 'A', '--policy', 'failover', '--member', 'id=a,node=n,value=v,colour=red', '--token', 't'], /expected id=ID,node=NODE,value=VALUE/],
  ['no member', ['pool', 'create', 'app.example.test.', 'A', '--policy', 'failover', '--token', 't'], /required option '--member <SPEC>'/],
  ['a drain without a reason', ['node', 'drain', 'web1', '--token', 't'], /required option '--reason <TEXT>'/],
  ['force neither up nor down', ['node', 'force', 'web1', 'sideways', '--reason', 'x', '--token', 't'], /Allowed choices are up, down/],
  ['an interval that is not a number', ['node', 'add', 'web1', '--interval', 'soon', '--token', 't'], /argument 'soon' is invalid. must be a whole number/],
  ['a record without values', ['record', 'set', 'www.example.test.', 'A', '--token', 't'], /missing required argument 'values'/],
  ['no admin token', ['status'], /no admin token: give --token, set FLIPDNS_ADMIN_TOKEN, or run where \/nonexistent\/flipdns-admin-token is/],
  ['a server that is not a URL', ['status', '--server', 'localhost', '--token', 't'], /must be a URL/],
  ['a heartbeat without a token', ['heartbeat', 'web1'], /required option '--token <TOKEN>'/],
  ['a heartbeat with an empty token', ['heartbeat', 'web1', '--token', ''], /argument '' is invalid. the token is empty/],
  ['an agent with a blank token', ['agent', '--node', 'web1', '--token', '  '], /argument ' {2}' is invalid. the token is empty/],
  ['two agent checks at once', ['agent', '--node', 'web1', '--token', 't', '--check-tcp', '127.0.0.1:80', '--check-http', 'http://127.0.0.1/'], /cannot be used with/],
  ['a bad --check-tcp', ['agent', '--node', 'web1', '--token', 't', '--check-tcp', 'nowhere'], /expected HOST:PORT/],
  ['a query type it does not know', ['query', 'www.example.test', 'BOGUS'], /unknown type BOGUS/],
  ['two query types', ['query', 'www.example.test', 'A', 'MX'], /more than one type/],
  ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
];

describe('flipdns command-line mistakes', () => {
  it.each(USAGE_ERRORS)('%s: one line, exit 2', async (_what, args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it('exits 3 with one line when no server listens', async () => {
    const server = await deadServerUrl();
    for (const args of [['status', '--token', 't'], ['node', 'list', '--token', 't', '--json'], ['heartbeat', 'web1', '--token', 'web1-token-abcdefghijkl']]) {
      const { code, stderr } = await runCli([...args, '--server', server]);
      expect(code, args.join(' ')).toBe(3);
      expect(stderr).toBe(`flipdns: ${server}: ECONNREFUSED\n`);
    }
  });

  it('refuses an empty FLIPDNS_NODE_TOKEN before sending anything', async () => {
    // A server where nothing listens: trying it would exit 3 (heartbeat) or keep the agent running.
    const server = await deadServerUrl();
    for (const args of [['heartbeat', 'web1'], ['agent', '--node', 'web1']]) {
      const run = await runCli(args, { FLIPDNS_NODE_TOKEN: '', FLIPDNS_SERVER: server });
      expect(run, args[0]).toEqual({ code: 2, stdout: '', stderr: "error: option '--token <TOKEN>' value '' from env 'FLIPDNS_NODE_TOKEN' is invalid. the token is empty\n" });
    }
  });

  it('takes the server and token from FLIPDNS_SERVER and FLIPDNS_ADMIN_TOKEN', async () => {
    const server = await deadServerUrl();
    const { code, stderr } = await runCli(['status'], { FLIPDNS_SERVER: server, FLIPDNS_ADMIN_TOKEN: 't' });
    expect(code).toBe(3);
    expect(stderr).toContain(server);
  });
});
