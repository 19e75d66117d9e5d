// Node writes made by operators and configuration: spec, removal, admin state.
// A write that changes nothing publishes nothing and keeps the generation.

import { PRELUDE } from './prelude.js';

/** ARGV: prefix, id, intervalMs, fall, rise, tokenHash, '1' to create only. Returns NodeRecord JSON. */
export const PUT_NODE = `${PRELUDE}
local spec = {
  intervalMs = tonumber(ARGV[3]), fall = tonumber(ARGV[4]), rise = tonumber(ARGV[5]),
  tokenHash = ARGV[6],
}
local now = clock()
local node = load_node(ARGV[2])
if node then
  if ARGV[7] == '1' or node.intervalMs == spec.intervalMs and node.fall == spec.fall and
     node.rise == spec.rise and node.tokenHash == spec.tokenHash then
    return node_json(node)
  end
  -- The window keeps its start (the last beat, grace or addition) and takes the new length.
  local window_start = node.deadlineAt - node.fall * node.intervalMs
  node.deadlineAt = window_start + spec.fall * spec.intervalMs
else
  node = { id = ARGV[2], health = 'unknown', streak = 0, admin = 'none',
           deadlineAt = now + spec.fall * spec.intervalMs }
  redis.call('SADD', NODES, node.id)
end
for field, value in pairs(spec) do node[field] = value end
node.generation = next_generation()
save_node(node, ALL_NODE_FIELDS)
watch_deadline(node)
local record = node_json(node)
publish_node(node, record, now)
return record
`;

/** ARGV: prefix, id. Returns 1 if the node existed. */
export const REMOVE_NODE = `${PRELUDE}
local id = ARGV[2]
if redis.call('DEL', node_key(id)) == 0 then return 0 end
redis.call('SREM', NODES, id)
redis.call('ZREM', DEADLINES, id)
publish('{"kind":"node-removed","id":' .. cjson.encode(id) .. '}', next_generation(), clock())
return 1
`;

/** ARGV: prefix, id, admin, reason, by ('' leaves reason or by out). Returns NodeRecord JSON, or '' for an unknown node. */
export const SET_ADMIN = `${PRELUDE}
local node = load_node(ARGV[2])
if not node then return '' end
local function optional(value)
  if value == '' then return nil end
  return value
end
local admin, reason, by = ARGV[3], optional(ARGV[4]), optional(ARGV[5])
if node.admin == admin and node.adminReason == reason and node.adminBy == by then
  return node_json(node)
end
node.admin, node.adminReason, node.adminBy = admin, reason, by
node.generation = next_generation()
save_node(node, { 'admin', 'adminReason', 'adminBy', 'generation' })
local record = node_json(node)
publish_node(node, record, clock())
return record
`;
