// The deadline set holds every node that is not down, scored by the store-clock
// ms its next beat is due. Sweeping reads only the overdue end of it.

import { PRELUDE } from './prelude.js';

/** ARGV: prefix. Returns SweepResult JSON. */
export const SWEEP = `${PRELUDE}
local now = clock()
local downed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', now)) do
  local node = load_node(id)
  if node and node.health ~= 'down' then
    node.health = 'down'
    node.streak = 0
    node.changedAt = now
    node.generation = next_generation()
    save_node(node, { 'health', 'streak', 'changedAt', 'generation' })
    local late_ms = now - node.deadlineAt
    local record = node_json(node)
    publish_node(node, record, now, late_ms)
    downed[#downed + 1] = '{"record":' .. record .. ',"lateMs":' .. late_ms .. '}'
  end
end
redis.call('ZREMRANGEBYSCORE', DEADLINES, '-inf', now)

local next_deadline = ''
local earliest = redis.call('ZRANGE', DEADLINES, 0, 0, 'WITHSCORES')
if earliest[2] then
  next_deadline = ',"nextDeadlineInMs":' .. (tonumber(earliest[2]) - now)
end
return '{"downed":[' .. table.concat(downed, ',') .. ']' .. next_deadline .. '}'
`;

/** ARGV: prefix. Pushes every watched deadline to at least now + fall × interval. */
export const GRACE_ALL = `${PRELUDE}
local now = clock()
for _, id in ipairs(redis.call('ZRANGE', DEADLINES, 0, -1)) do
  local key = node_key(id)
  local f = redis.call('HMGET', key, 'deadlineAt', 'fall', 'intervalMs')
  local deadline = math.max(tonumber(f[1]), now + tonumber(f[2]) * tonumber(f[3]))
  redis.call('HSET', key, 'deadlineAt', deadline)
  redis.call('ZADD', DEADLINES, deadline, id)
end
return 1
`;
