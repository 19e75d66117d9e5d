// One heartbeat. The hot path: beats that change no health publish nothing
// and leave the generation alone, so only the hash and the deadline set are
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

if comes_up then
  node.health = 'up'
  node.streak = 0
  node.changedAt = now
  node.generation = next_generation()
  for _, field in ipairs({ 'health', 'streak', 'changedAt', 'generation' }) do
    fields[#fields + 1] = field
  end
end

save_node(node, fields)
watch_deadline(node)
local record = node_json(node)
if comes_up then publish_node(node, record, now) end
return '{"status":"ok","record":' .. record .. '}'
`;
