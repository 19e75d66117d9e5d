// The install step (`npm ci`, `npm install`): builds the batched UDP module
// with node-gyp against the headers of the Node that runs it, never downloaded.
// It never fails the install: without the module flipdns serves UDP with Node's
// dgram, and this prints one line saying why. node-gyp's output goes to
// native/build.log.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const LOG = join(HERE, 'build.log');

/** Node's headers: npm's nodedir setting, else next to this node binary (/usr/bin/node → /usr/include/node). */
function headers() {
  const nodedir = process.env.npm_config_nodedir || dirname(dirname(process.execPath));
  const found = ['node_api.h', 'uv.h', 'common.gypi'].every((file) => existsSync(join(nodedir, 'include', 'node', file)));
  return found ? nodedir : undefined;
}

/** The node-gyp npm runs scripts with, else the one bundled with npm next to this node. */
function nodeGyp() {
  const bundled = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return [process.env.npm_config_node_gyp, bundled].find((path) => path && existsSync(path));
}

function build() {
  if (process.platform !== 'linux') return 'it is Linux-only';
  const nodedir = headers();
  if (nodedir === undefined) return `no Node headers found (set npm_config_nodedir to the folder holding include/node)`;
  const gyp = nodeGyp();
  if (gyp === undefined) return 'node-gyp not found (it comes with npm)';
  const log = openSync(LOG, 'w');
  try {
    // --nodedir: the local headers, so node-gyp never downloads any.
    const run = spawnSync(process.execPath, [gyp, 'rebuild', '--nodedir', nodedir, '--directory', HERE], { stdio: ['ignore', log, log] });
    if (run.error) return `node-gyp did not run: ${run.error.message}`;
    if (run.status !== 0) return `node-gyp failed (a C++ compiler, make and python3 are needed), see ${LOG}`;
  } finally {
    closeSync(log);
  }
  return undefined;
}

let problem;
try {
  problem = build();
} catch (err) {
  problem = err instanceof Error ? err.message : String(err);
}
if (problem !== undefined) console.warn(`flipdns: native UDP module not built: ${problem}; UDP is served by Node's dgram`);
