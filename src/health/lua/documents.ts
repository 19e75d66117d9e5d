// Documents of the layers above (pools, run-time records, held members): JSON
// in one hash per collection, by key.

import { PRELUDE } from './prelude.js';

/**
 * ARGV: prefix, hash name, field, value ('' deletes the field), event (a JSON
 * object without generation and decidedAt). Returns 1 when something changed.
 */
export const WRITE_DOCUMENT = `${PRELUDE}
local hash, field, value = P .. ARGV[2], ARGV[3], ARGV[4]
local current = redis.call('HGET', hash, field)
if value == '' then
  if not current then return 0 end
  redis.call('HDEL', hash, field)
else
  if current == value then return 0 end
  redis.call('HSET', hash, field, value)
end
publish(ARGV[5], next_generation(), clock())
return 1
`;

/** ARGV: prefix, then the collections. Returns [generation, now, node JSONs, each collection's hash as field/value pairs]. */
export const SNAPSHOT = `${PRELUDE}
local nodes = {}
for _, id in ipairs(redis.call('SMEMBERS', NODES)) do
  nodes[#nodes + 1] = node_json(load_node(id))
end
local reply = { tonumber(redis.call('GET', GENERATION) or '0'), clock(), nodes }
for i = 2, #ARGV do
  reply[#reply + 1] = redis.call('HGETALL', P .. ARGV[i])
end
return reply
`;
