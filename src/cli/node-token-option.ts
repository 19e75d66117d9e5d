import { Option } from 'commander';
import { tokenArg } from './arg-parsers.js';

/** The token a node authenticates its heartbeats with (`heartbeat`, `agent`). */
export function nodeTokenOption(): Option {
  return new Option('--token <TOKEN>', "the node's heartbeat token").env('FLIPDNS_NODE_TOKEN').argParser(tokenArg).makeOptionMandatory();
}
