import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, renderConfigTable } from '../../src/config/load.js';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flipdns-config-')), 'flipdns.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadConfig', () => {
  it('has defaults that serve the example zones on unprivileged loopback ports', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({ zones: 'zones', host: '127.0.0.1', port: 5300, httpPort: 8053, workers: 1, ednsPayload: 1232 });
    expect(config.serverVersion).toBeUndefined();
  });

  it('takes flags over the environment over the file', () => {
    const file = configFile({ port: 5301, httpPort: 9001, id: 'from-file' });
    const config = loadConfig({ flags: { port: '5303' }, env: { FLIPDNS_PORT: '5302', FLIPDNS_HTTP_PORT: '9002' }, file });
    expect(config.port).toBe(5303);
    expect(config.httpPort).toBe(9002);
    expect(config.id).toBe('from-file');
  });

  it('reads the file named by FLIPDNS_CONFIG', () => {
    expect(loadConfig({ env: { FLIPDNS_CONFIG: configFile({ workers: 2 }) } }).workers).toBe(2);
  });

  it('names the source and the rule of a bad value', () => {
    expect(() => loadConfig({ flags: { port: 'abc' }, env: {} })).toThrow(new ConfigError('--port: must be an integer from 1 to 65535 (got "abc")'));
    expect(() => loadConfig({ env: { FLIPDNS_QUERY_LOG: '2' } })).toThrow('FLIPDNS_QUERY_LOG: must be a number from 0 to 1 (got "2")');
    const file = configFile({ logLevel: 'loud' });
    expect(() => loadConfig({ env: {}, file })).toThrow(`${file}: logLevel: must be one of`);
  });

  it('refuses unknown keys and broken JSON in the file', () => {
    expect(() => loadConfig({ env: {}, file: configFile({ prot: 53 }) })).toThrow('unknown setting "prot"');
    expect(() => loadConfig({ env: {}, file: configFile('{ port: ') })).toThrow(ConfigError);
  });

  it('is documented in docs/configuration.md exactly as the schema says', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderConfigTable());
  });
});
