// Pool files: `*.pools.json` next to the zone files, reviewed in git and loaded
// at start and on every reload with the zones. Each holds nodes and pools:
//   { "nodes": [ { "id", "intervalMs", "fall", "rise", "tokenSha256", "check"? } ],
//     "pools": [ { "name", "type", "policy", "members": [ ... ], ... } ] }
// Every problem is reported, each as `file:line: message` (JSON syntax) or
// `file: json.path: message`; a file with any problem contributes nothing.

import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NodeCheck } from '../checks/model.js';
import type { NodeSpec } from '../health/model.js';
import { ValidationError, list, object, onlyKeys } from '../validation/fields.js';
import { type PoolSpec, poolKey } from './model.js';
import { parseFileNode, parsePoolSpec } from './spec.js';

export const POOL_FILE_SUFFIX = '.pools.json';

export interface PoolFile {
  nodes: NodeSpec[];
  /** Server-side checks of the file's nodes, by node id. */
  checks: Map<string, NodeCheck>;
  pools: PoolSpec[];
}

export interface LoadedPoolFiles {
  /** The files that loaded, by file name. */
  files: Map<string, PoolFile>;
  /** Every problem, in file order, then the order found. */
  errors: string[];
  failedFiles: string[];
}

interface Parsed {
  file: string;
  nodes: NodeSpec[];
  /** Ids of the nodes that failed to parse: already reported, so their members are not reported again. */
  brokenNodes: Set<string>;
  checks: Map<string, NodeCheck>;
  pools: PoolSpec[];
  errors: string[];
}

/** The pool files of `dir` (or the one file `only`, a name in `dir`). */
export function loadPoolFiles(dir: string, only?: string): LoadedPoolFiles {
  const names = only !== undefined ? [only] : readdirSync(dir).filter((name) => name.endsWith(POOL_FILE_SUFFIX) && !name.startsWith('.')).sort();
  const parsed = names.map((file) => parseFile(file, readFileSync(join(dir, file), 'utf8')));

  // Across files: a node or pool is declared once, and every member names a declared node.
  const nodeFile = new Map<string, string>();
  const poolFile = new Map<string, string>();
  for (const p of parsed) {
    for (const node of p.nodes) {
      const other = nodeFile.get(node.id);
      if (other !== undefined) p.errors.push(`${p.file}: node ${node.id} is declared in ${other} too`);
      else nodeFile.set(node.id, p.file);
    }
    for (const pool of p.pools) {
      const other = poolFile.get(poolKey(pool));
      if (other !== undefined) p.errors.push(`${p.file}: pool ${pool.name} ${pool.type} is declared in ${other} too`);
      else poolFile.set(poolKey(pool), p.file);
    }
  }
  const declared = [...nodeFile.keys()].sort();
  const broken = new Set(parsed.flatMap((p) => [...p.brokenNodes]));
  for (const p of parsed) {
    p.pools.forEach((pool) => {
      for (const member of pool.members) {
        if (nodeFile.has(member.node) || broken.has(member.node)) continue;
        p.errors.push(`${p.file}: pool ${pool.name} ${pool.type}: member ${member.id}: node "${member.node}" is declared in no pool file (declared: ${declared.join(', ') || 'none'})`);
      }
    });
  }

  const result: LoadedPoolFiles = { files: new Map(), errors: [], failedFiles: [] };
  for (const p of parsed) {
    if (p.errors.length > 0) {
      result.errors.push(...p.errors);
      result.failedFiles.push(p.file);
    } else {
      result.files.set(p.file, { nodes: p.nodes, checks: p.checks, pools: p.pools });
    }
  }
  return result;
}

/** Checks one file the way a load does, alone; for `flipdns zone check FILE`. */
export function checkPoolFile(path: string): LoadedPoolFiles {
  return loadPoolFiles(dirname(path), basename(path));
}

function parseFile(file: string, text: string): Parsed {
  const parsed: Parsed = { file, nodes: [], brokenNodes: new Set(), checks: new Map(), pools: [], errors: [] };
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (err) {
    parsed.errors.push(jsonSyntaxError(file, text, err as Error));
    return parsed;
  }
  let fields;
  try {
    fields = object(content, 'the file');
    onlyKeys(fields, ['nodes', 'pools'], 'the file');
  } catch (err) {
    parsed.errors.push(`${file}: ${(err as Error).message}`);
    return parsed;
  }
  collect(parsed, fields.nodes, 'nodes', (item, where) => {
    const named = (item as { id?: unknown } | null)?.id;
    if (typeof named === 'string') parsed.brokenNodes.add(named);
    const { spec, check } = parseFileNode(item, where);
    parsed.brokenNodes.delete(named as string);
    parsed.nodes.push(spec);
    if (check) parsed.checks.set(spec.id, check);
  });
  collect(parsed, fields.pools, 'pools', (item, where) => parsed.pools.push(parsePoolSpec(item, where)));
  return parsed;
}

/** Parses each item of a list on its own, so that every bad item is reported. */
function collect(parsed: Parsed, value: unknown, field: string, parse: (item: unknown, where: string) => void): void {
  if (value === undefined) return;
  let items: unknown[];
  try {
    items = list(value, field);
  } catch (err) {
    parsed.errors.push(`${parsed.file}: ${(err as Error).message}`);
    return;
  }
  items.forEach((item, i) => {
    try {
      parse(item, `${field}[${i}]`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      parsed.errors.push(`${parsed.file}: ${err.message}`);
    }
  });
}

/** `file:line: message` from JSON.parse's "at position N". */
function jsonSyntaxError(file: string, text: string, err: Error): string {
  const at = /at position (\d+)/.exec(err.message);
  const quoted = UNEXPECTED_TOKEN.exec(err.message);
  const position = at ? Number(at[1]) : quoted ? tokenPosition(text, quoted) : undefined;
  const message = quoted ? `unexpected ${quoted[1]}` : err.message.replace(/ in JSON at position \d+.*$/, '').replace(/ is not valid JSON$/, '');
  if (position === undefined) return `${file}: not JSON: ${message}`;
  const line = text.slice(0, position).split('\n').length;
  return `${file}:${line}: not JSON: ${message}`;
}

/** V8's other form: `Unexpected token 'X', ..."context"... is not valid JSON`, the context (the text itself, multi-line) cut ("...") to JSON_CONTEXT characters each side of the token. */
const UNEXPECTED_TOKEN = /^Unexpected token ('.*?'), (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;
const JSON_CONTEXT = 10;

function tokenPosition(text: string, [, token, cutBefore, context, cutAfter]: RegExpExecArray): number | undefined {
  const start = text.indexOf(context);
  if (start < 0) return undefined;
  if (cutBefore) return start + JSON_CONTEXT;
  return cutAfter ? start + context.length - JSON_CONTEXT - 1 : start + context.lastIndexOf(token.slice(1, -1));
}
