// How commands print: the server's answer as JSON with --json, otherwise text
// for people (aligned columns, short ages).

export function emit(json: boolean | undefined, body: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(body, null, 2) + '\n' : human());
}

/** Columns padded to their widest cell, two spaces apart; each line ends in a newline. */
export function table(header: string[], rows: string[][], indent = ''): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) => indent + row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd() + '\n').join('');
}

/** 0.4s, 12s, 4m05s, 3h07m; `-` when unknown. */
export function age(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}m`;
}
