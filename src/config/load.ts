import { readFileSync } from 'node:fs';
import { object, onlyKeys } from '../validation/fields.js';
import { CONFIG_FILE_ENV, type Config, type ConfigKey, SCHEMA, envFor, flagFor } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  /** Values from command-line flags, by schema key (commander's camelCase names). */
  flags?: Partial<Record<string, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $FLIPDNS_CONFIG. */
  file?: string;
}

/** Flags win over the environment, the environment over the file, the file over defaults. */
export function loadConfig({ flags = {}, env = process.env, file }: ConfigSources = {}): Config {
  const path = file ?? env[CONFIG_FILE_ENV];
  const fromFile = path === undefined ? {} : readConfigFile(path);
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(SCHEMA) as ConfigKey[]) {
    const setting = SCHEMA[key];
    const candidates: Array<[unknown, string]> = [
      [flags[key], flagFor(key)],
      [env[envFor(key)], envFor(key)],
      [fromFile[key], `${path}: ${key}`],
    ];
    const found = candidates.find(([value]) => value !== undefined);
    if (found === undefined) {
      config[key] = typeof setting.default === 'function' ? setting.default() : setting.default;
      continue;
    }
    const [raw, source] = found;
    try {
      config[key] = setting.parse(raw);
    } catch (err) {
      throw new ConfigError(`${source}: ${(err as Error).message} (got ${JSON.stringify(raw)})`);
    }
  }
  return config as Config;
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  try {
    const fields = object(parsed, path);
    onlyKeys(fields, Object.keys(SCHEMA), path, 'setting');
    return fields;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** The settings table of docs/configuration.md, generated so that docs and code agree. */
export function renderConfigTable(): string {
  const rows = (Object.keys(SCHEMA) as ConfigKey[]).map((key) => {
    const setting = SCHEMA[key];
    const fallback = key === 'id' ? 'host name' : setting.default === undefined ? 'unset' : `\`${String(setting.default)}\``;
    return `| \`${key}\` | \`${flagFor(key)} ${setting.arg}\` | \`${envFor(key)}\` | ${fallback} | ${setting.description} |`;
  });
  return ['| file key | flag | environment | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
