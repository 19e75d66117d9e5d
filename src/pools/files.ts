// Pool files: `*.pools.json` next to the zone files, reviewed in git and loaded
// at start and on every reload with the zones. Each holds nodes and pools:
//   { "nodes": [ { "id", "intervalMs", "fall", "rise", "tokenSha256" } ],
//     "pools": [ { "name", "type", "policy", "members": [ ... ], ... } ] }

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeSpec, type PoolSpec, poolKey } from '../health/model.js';
import { SpecError, parseNodeSpec, parsePoolSpec } from './spec.js';

export const POOL_FILE_SUFFIX = '.pools.json';

export interface PoolFile {
  nodes: NodeSpec[];
  pools: PoolSpec[];
}

export interface LoadedPoolFiles {
  /** The files that loaded, by file name. */
  files: Map<string, PoolFile>;
  /** `file: message`; a file with an error contributes nothing. */
  errors: string[];
  failedFiles: string[];
}

export function loadPoolFiles(dir: string): LoadedPoolFiles {
  const result: LoadedPoolFiles = { files: new Map(), errors: [], failedFiles: [] };
  const files = readdirSync(dir).filter((name) => name.endsWith(POOL_FILE_SUFFIX) && !name.startsWith('.')).sort();
  const nodeIds = new Set<string>();
  const poolKeys = new Set<string>();
  for (const file of files) {
    try {
      const { nodes, pools } = parsePoolFile(readFileSync(join(dir, file), 'utf8'));
      for (const node of nodes) if (nodeIds.has(node.id)) throw new SpecError(`node ${node.id} is declared in another pool file too`);
      for (const pool of pools) if (poolKeys.has(poolKey(pool))) throw new SpecError(`pool ${pool.name} ${pool.type} is declared in another pool file too`);
      for (const node of nodes) nodeIds.add(node.id);
      for (const pool of pools) poolKeys.add(poolKey(pool));
      result.files.set(file, { nodes, pools });
    } catch (err) {
      if (!(err instanceof SpecError || err instanceof SyntaxError)) throw err;
      result.errors.push(`${file}: ${err.message}`);
      result.failedFiles.push(file);
    }
  }
  return result;
}

function parsePoolFile(text: string): PoolFile {
  const content: unknown = JSON.parse(text);
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw new SpecError('must hold a JSON object with "nodes" and "pools"');
  const { nodes = [], pools = [], ...rest } = content as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new SpecError(`unknown field "${unknown[0]}" (known: nodes, pools)`);
  if (!Array.isArray(nodes) || !Array.isArray(pools)) throw new SpecError('"nodes" and "pools" must be lists');
  return {
    nodes: nodes.map((node, i) => parseNodeSpec(node, `nodes[${i}]`)),
    pools: pools.map((pool, i) => parsePoolSpec(pool, `pools[${i}]`)),
  };
}
