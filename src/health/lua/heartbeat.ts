// One heartbeat, and its opposite: a node reporting itself down. The hot
// path: beats that change neither health nor lateness publish nothing and
// leave the generation alone, so only the hash and the deadline set are
// written.

import { PRELUDE } from './prelude.js';

/** ARGV: prefix, node id, token hash. Returns HeartbeatResult JSON. */
export const HEARTBEAT = `${PRELUDE}
local node = load_node(ARGV[2])
if not node then return '{"status":"unknown-node"}' end
if node.tokenHash ~= ARGV[3] then return '{"status":"bad-token"}' end

local now = clock()
local previous_beat = node.lastBeatAt
node.lastBeatAt = now
node.deadlineAt = now + node.fall * node.intervalMs
local fields = { 'lastBeatAt', 'deadlineAt' }

local comes_up = node.health == 'unknown'
if node.health == 'down' then
  -- Only beats that keep the promised pace count toward rise; a late one starts over.
  if previous_beat and now - previous_beat <= 2 * node.intervalMs then
    node.streak = node.streak + 1
  else
    node.streak = 1
  end
  fields[#fields + 1] = 'streak'
  comes_up = node.streak >= node.rise
end

local changed = comes_up or node.late
if comes_up then
  node.health = 'up'
  node.streak = 0
  node.changedAt = now
  node.downReason = nil
  for _, field in ipairs({ 'health', 'streak', 'changedAt', 'downReason' }) do
    fields[#fields + 1] = field
  end
end
if changed then
  node.late = nil
  node.generation = next_generation()
  fields[#fields + 1] = 'late'
  fields[#fields + 1] = 'generation'
end

save_node(node, fields)
watch_deadline(node)
local record = node_json(node)
if changed then publish_node(node, record, now) end
return '{"status":"ok","record":' .. record .. '}'
`;

/**
 * ARGV: prefix, node id, token hash, reason. A node that is not down goes down
 * now, as a missed deadline would take it; \`rise\` beats bring it back.
 * Returns HeartbeatResult JSON.
 */
export const REPORT_DOWN = `${PRELUDE}
local node = load_node(ARGV[2])
if not node then return '{"status":"unknown-node"}' end
if node.tokenHash ~= ARGV[3] then return '{"status":"bad-token"}' end
if node.health == 'down' then return '{"status":"ok","record":' .. node_json(node) .. '}' end
return '{"status":"ok","record":' .. mark_down(node, clock(), ARGV[4]) .. '}'
`;
