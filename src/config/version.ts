// The version of this flipdns, from its package.json: the one `flipdns
// --version`, the start log and flipdns_build_info say.

import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
