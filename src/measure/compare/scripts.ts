// The lab's helper scripts (a node's service, a client) run as processes of
// their own, compiled: next to this module in dist/, or from dist/ when this
// module runs from src/ (vitest runs the TypeScript directly).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function script(name: string): string {
  const here = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (existsSync(here)) return here;
  const built = fileURLToPath(new URL(`../../../dist/measure/compare/${name}.js`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${name}.js is missing: run \`npm run build\``);
}
