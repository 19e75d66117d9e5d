import type { Config } from '../config/schema.js';
import type { RateLimitSettings } from './limiter.js';

/** The limiter's settings from the configuration; undefined when rate limiting is off. */
export function rateLimitSettings(config: Config): RateLimitSettings | undefined {
  if (config.rrlResponsesPerSecond === 0) return undefined;
  return {
    responsesPerSecond: config.rrlResponsesPerSecond,
    slip: config.rrlSlip,
    ipv4Prefix: config.rrlIpv4Prefix,
    ipv6Prefix: config.rrlIpv6Prefix,
    entries: config.rrlTableEntries,
  };
}
