import { pino, type Logger } from 'pino';

export type { Logger };

/** pino JSON to stdout; every line names the instance, so logs from several instances can be merged. */
export function createLogger(level: string, instanceId: string): Logger {
  return pino({ level, base: { instance: instanceId, pid: process.pid } });
}
