/**
 * Structured JSON logs, one object per line on stderr (stdout stays free for command output).
 * LOG_LEVEL=debug|info|warn|error picks the threshold; LOG_FORMAT=text gives a human-readable line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

function threshold(): number {
  const level = (process.env['LOG_LEVEL'] ?? 'info') as LogLevel;
  return ORDER[level] ?? ORDER.info;
}

export function createLogger(base: LogFields = {}, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < threshold()) return;
    if (process.env['LOG_FORMAT'] === 'text') {
      const extra = Object.entries({ ...base, ...fields })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(' ');
      write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}${extra ? ' ' + extra : ''}`);
      return;
    }
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, write),
  };
}

export const log: Logger = createLogger();
