import type { JsonObject, JsonValue } from '../core/json';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ServerLogOptions {
  /** Lines kept in memory for `GET /logs/` (default 5000). */
  readonly capacity?: number;
  /** Where each JSON line goes as well (default: stderr). Pass `null` to keep logs in memory only (tests). */
  readonly sink?: ((line: string) => void) | null;
}

/**
 * Structured server log: one JSON object per line (`ts`, `level`, `msg`, then fields), written to a sink and kept in
 * a ring buffer that `GET /logs/` serves.
 */
export class ServerLog {
  private readonly lines: string[] = [];
  private readonly capacity: number;
  private readonly sink: ((line: string) => void) | null;

  constructor(options: ServerLogOptions = {}) {
    this.capacity = options.capacity ?? 5000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError(`log capacity must be a positive integer, got ${this.capacity}`);
    this.sink = options.sink === undefined ? (line) => process.stderr.write(`${line}\n`) : options.sink;
  }

  info(msg: string, fields: JsonObject = {}): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields: JsonObject = {}): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields: JsonObject = {}): void {
    this.write('error', msg, fields);
  }

  /** The last `n` lines, oldest first. */
  tail(n: number): string[] {
    return n <= 0 ? [] : this.lines.slice(-n);
  }

  private write(level: LogLevel, msg: string, fields: JsonObject): void {
    const record: Record<string, JsonValue> = { ts: new Date().toISOString(), level, msg, ...fields };
    const line = JSON.stringify(record);
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    this.sink?.(line);
  }
}
