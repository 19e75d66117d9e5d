// The image must not ship known credentials: no engine runs here to build it
// (docker has no daemon on this machine), so its recipe is checked instead.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string): string => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

describe('the Docker image', () => {
  const dockerfile = read('Dockerfile');
  const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('serves no pools file: the example one declares nodes whose tokens the README prints', () => {
    expect(runStage).toMatch(/^RUN rm -f zones\/\*\.pools\.json$/m);
  });

  it('bakes in no admin token, runs as an unprivileged user, and has a health check', () => {
    expect(dockerfile).not.toMatch(/FLIPDNS_ADMIN_TOKEN=/);
    expect(runStage).toMatch(/^USER node$/m);
    expect(runStage).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/healthz/m);
  });

  it('sends no local state or build output to the builder', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['.git', '.flipdns', 'node_modules', 'dist']) expect(ignored).toContain(path);
  });
});
