export interface NsdConfigOptions {
  dir: string;
  port: number;
  /** Zone files by absolute path. */
  zones: Array<{ origin: string; file: string }>;
  /** Absolute folder that `$INCLUDE` paths are relative to. */
  zonesDir?: string;
  serverCount?: number;
  verbosity?: number;
  /** Extra `server:` lines, without indentation. */
  extraServerConfig?: string[];
}

export function nsdConfig(options: NsdConfigOptions): string;
