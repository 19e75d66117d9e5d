import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { rateLimitSettings } from '../../src/rrl/settings.js';

describe('rate limiting settings', () => {
  it('are off by default', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({ rrlResponsesPerSecond: 0, rrlSlip: 2, rrlIpv4Prefix: 24, rrlIpv6Prefix: 56, rrlTableEntries: 100000 });
    expect(rateLimitSettings(config)).toBeUndefined();
  });

  it('come from flags, the environment or the file, as every setting', () => {
    const config = loadConfig({ flags: { rrlResponsesPerSecond: '200' }, env: { FLIPDNS_RRL_SLIP: '1', FLIPDNS_RRL_IPV6_PREFIX: '48' } });
    expect(rateLimitSettings(config)).toEqual({ responsesPerSecond: 200, slip: 1, ipv4Prefix: 24, ipv6Prefix: 48, entries: 100000 });
    expect(() => loadConfig({ env: { FLIPDNS_RRL_IPV6_PREFIX: '65' } })).toThrow('FLIPDNS_RRL_IPV6_PREFIX: must be an integer from 0 to 64');
  });
});
