// Lua shared by every script: key names, the store clock, the generation and
// event publishing, and reading/writing a node hash. It is prepended to each
// script, so each script is self-contained for EVALSHA. Every script takes the
// key prefix as ARGV[1] (the key schema is in ../README.md).

import { LATE_AFTER_INTERVALS } from '../model.js';

export const PRELUDE = `
local P = ARGV[1]
local GENERATION = P .. 'generation'
local NODES = P .. 'nodes'
local DEADLINES = P .. 'deadlines'
local EVENTS = P .. 'events'

local function node_key(id)
  return P .. 'node:' .. id
end

-- The store clock, ms. TIME is allowed because Redis 7 replicates script effects.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function next_generation()
  return redis.call('INCR', GENERATION)
end

-- event_json is a JSON object without generation and decidedAt; they are
-- spliced in here so that every event carries them the same way.
local function publish(event_json, generation, now)
  redis.call('PUBLISH', EVENTS, string.sub(event_json, 1, -2) ..
    ',"generation":' .. generation .. ',"decidedAt":' .. now .. '}')
end

local LATE_AFTER_INTERVALS = ${LATE_AFTER_INTERVALS}

local NUMERIC_FIELDS = {
  intervalMs = true, fall = true, rise = true, lastBeatAt = true,
  deadlineAt = true, streak = true, changedAt = true, generation = true,
}

local function load_node(id)
  local flat = redis.call('HGETALL', node_key(id))
  if #flat == 0 then return nil end
  local node = {}
  for i = 1, #flat, 2 do
    local value = flat[i + 1]
    if NUMERIC_FIELDS[flat[i]] then value = tonumber(value) end
    if flat[i] == 'late' then value = true end
    node[flat[i]] = value
  end
  return node
end

-- Writes the named fields of node; a field that is nil is deleted.
local function save_node(node, fields)
  local key = node_key(node.id)
  local set = {}
  for _, field in ipairs(fields) do
    if node[field] == nil or node[field] == false then
      redis.call('HDEL', key, field)
    else
      set[#set + 1] = field
      set[#set + 1] = node[field] == true and '1' or node[field]
    end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
end

local ALL_NODE_FIELDS = {
  'id', 'intervalMs', 'fall', 'rise', 'tokenHash', 'health', 'lastBeatAt', 'deadlineAt',
  'streak', 'changedAt', 'late', 'downReason', 'admin', 'adminReason', 'adminBy', 'generation',
}

-- A NodeRecord as JSON (absent fields are left out).
local function node_json(node)
  return cjson.encode({
    spec = {
      id = node.id, intervalMs = node.intervalMs, fall = node.fall, rise = node.rise,
      tokenHash = node.tokenHash,
    },
    state = {
      health = node.health, lastBeatAt = node.lastBeatAt, deadlineAt = node.deadlineAt,
      streak = node.streak, changedAt = node.changedAt, late = node.late or nil,
      downReason = node.downReason, admin = node.admin,
      adminReason = node.adminReason, adminBy = node.adminBy, generation = node.generation,
    },
  })
end

local function publish_node(node, record_json, now, late_ms)
  local late = ''
  if late_ms then late = ',"lateMs":' .. late_ms end
  publish('{"kind":"node","record":' .. record_json .. late .. '}', node.generation, now)
end

-- When a node that is not late will be: LATE_AFTER_INTERVALS into its window
-- (which ends at its deadline); nil when its fall leaves no room for it.
local function late_at(node)
  if node.fall <= LATE_AFTER_INTERVALS then return nil end
  return node.deadlineAt - (node.fall - LATE_AFTER_INTERVALS) * node.intervalMs
end

-- Only nodes that can still be judged down are watched, each at the next
-- moment a sweep must look at it: when it turns late, else its deadline.
local function watch_deadline(node)
  if node.health == 'down' then
    redis.call('ZREM', DEADLINES, node.id)
    return
  end
  local at = node.deadlineAt
  if not node.late then at = late_at(node) or at end
  redis.call('ZADD', DEADLINES, at, node.id)
end

-- Marks a node down now, and returns its record JSON after publishing it.
local function mark_down(node, now, reason, late_ms)
  node.health = 'down'
  node.streak = 0
  node.changedAt = now
  node.late = nil
  node.downReason = reason
  node.generation = next_generation()
  save_node(node, { 'health', 'streak', 'changedAt', 'late', 'downReason', 'generation' })
  watch_deadline(node)
  local record = node_json(node)
  publish_node(node, record, now, late_ms)
  return record
end
`;
