// The deadline set holds every node that is not down, scored by the store-clock
// ms its next beat is due. Sweeping reads only the overdue end of it.

import { MISSED_DEADLINE } from '../model.js';
import { PRELUDE } from './prelude.js';

/** ARGV: prefix. Returns SweepResult JSON. */
export const SWEEP = `${PRELUDE}
local MISSED_DEADLINE = '${MISSED_DEADLINE}'
local now = clock()
local downed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', now)) do
  local node = load_node(id)
  if not node or node.health == 'down' then
    redis.call('ZREM', DEADLINES, id)
  elseif now >= node.deadlineAt then
    local late_ms = now - node.deadlineAt
    local record = mark_down(node, now, MISSED_DEADLINE, late_ms)
    downed[#downed + 1] = '{"record":' .. record .. ',"lateMs":' .. late_ms .. '}'
  elseif not node.late then
    node.late = true
    node.generation = next_generation()
    save_node(node, { 'late', 'generation' })
    watch_deadline(node)
    publish_node(node, node_json(node), now)
  else
    watch_deadline(node)
  end
end

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
  local node = load_node(id)
  node.deadlineAt = math.max(node.deadlineAt, now + node.fall * node.intervalMs)
  save_node(node, { 'deadlineAt' })
  watch_deadline(node)
end
return 1
`;
