// The decider lease: one key holding the leader's instance id, expiring on
// Redis's own clock.

/** ARGV: prefix, instance id, lease ms. Returns 1 while the caller holds the lease. */
export const TRY_LEAD = `
local key, holder, lease_ms = ARGV[1] .. 'leader', ARGV[2], ARGV[3]
if redis.call('SET', key, holder, 'NX', 'PX', lease_ms) then return 1 end
if redis.call('GET', key) == holder then
  redis.call('PEXPIRE', key, lease_ms)
  return 1
end
return 0
`;

/** ARGV: prefix, instance id. Deletes the lease when that instance holds it. */
export const RELEASE_LEAD = `
local key = ARGV[1] .. 'leader'
if redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
return 1
`;
