/**
 * Logging through an injectable {@link Logger}.
 *
 * The library never writes to the console on its own: the default logger is
 * silent, and a user who wants logs passes `consoleLogger` or an adapter to
 * their own logging library (pino, winston, ...). The shape is the smallest one
 * those libraries share: a level method taking a message and optional fields.
 *
 * @module
 */

/** Structured fields attached to a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logger the library writes to. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const nothing = (): void => {};

/** A logger that drops everything: the default. */
export const silentLogger: Logger = Object.freeze({
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
});

/** A logger that writes warnings and errors to `console.error`. */
export const consoleLogger: Logger = Object.freeze({
  debug: nothing,
  info: nothing,
  warn: (message: string, fields?: LogFields) => console.error(`warn: ${message}`, fields ?? ''),
  error: (message: string, fields?: LogFields) => console.error(`error: ${message}`, fields ?? ''),
});

/**
 * `logger` behind a guard: each call passes the record on and swallows
 * whatever the logger throws. The store logs on its failure paths (a drop
 * request that failed, a handler that threw); a logger that throws there (a
 * broken transport) must not turn a logged failure into a lost batch.
 */
export function guardedLogger(logger: Logger): Logger {
  const guard =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      try {
        logger[level](message, fields);
      } catch {
        // Nowhere left to report it: the logger is what failed.
      }
    };
  return Object.freeze({
    debug: guard('debug'),
    info: guard('info'),
    warn: guard('warn'),
    error: guard('error'),
  });
}

/** One record kept by a {@link MemoryLogger}. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps its records in memory: for tests and the shell. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];

  debug(message: string, fields?: LogFields): void {
    this.records.push({ level: 'debug', message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.records.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.records.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.records.push({ level: 'error', message, fields });
  }
}
