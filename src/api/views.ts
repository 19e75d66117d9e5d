// What the API shows of a node: spec and state together, never the token hash.

import type { NodeRecord, NodeSpec, NodeState } from '../health/model.js';

export type NodeView = Omit<NodeSpec, 'tokenHash'> & NodeState;

export function nodeView({ spec, state }: NodeRecord): NodeView {
  const { tokenHash: _secret, ...visible } = spec;
  return { ...visible, ...state };
}
