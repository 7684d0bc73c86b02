/**
 * Structured logs: one JSON object per line by default (time, level, msg, then fields), or
 * `time level msg key=value ...` with --log-format text. Lines below --log-level are dropped.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

export interface Logger {
  readonly debug: (msg: string, fields?: Record<string, unknown>) => void;
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly error: (msg: string, fields?: Record<string, unknown>) => void;
}

/** A bare word stays bare; anything else is JSON (strings quoted, objects compact). */
const textValue = (v: unknown): string => (typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v) ?? String(v));

/** A line in `format` (pure, for tests). */
export const formatLine = (format: LogFormat, time: string, level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string => {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  if (format === 'json') return JSON.stringify({ time, level, msg, ...defined });
  return [time, level.toUpperCase(), msg, ...Object.entries(defined).map(([k, v]) => `${k}=${textValue(v)}`)].join(' ');
};

export const createLogger = (format: LogFormat, level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), now: () => Date = () => new Date()): Logger => {
  const min = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) => (msg: string, fields?: Record<string, unknown>): void => {
    if (LOG_LEVELS.indexOf(l) >= min) write(formatLine(format, now().toISOString(), l, msg, fields));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};
