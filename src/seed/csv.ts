/**
 * Rows for PostgreSQL `COPY ... FROM STDIN` (text format: tab-separated, \N for NULL), written
 * straight into large buffers and piped to psql, which applies back-pressure so memory stays flat.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export type Cell = string | number | boolean | Date | null | undefined;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function escapeText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

export const PSQL = process.env.PUTRIGHT_PSQL ?? '/usr/lib/postgresql/15/bin/psql';
const CHUNK = 1 << 22;

export class CopyStream {
  private child: ChildProcess;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private exited: Promise<void>;
  rows = 0;

  constructor(url: string, table: string, readonly columns: readonly string[]) {
    this.child = spawn(PSQL, [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `set synchronous_commit = off`, '-c', `copy ${table} (${columns.join(', ')}) from stdin`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    this.child.stderr!.on('data', (d) => (err += d));
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`COPY into ${table} failed (psql exit ${code}): ${err.trim()}`))));
    });
    this.exited.catch(() => {});
  }

  private put(s: string) {
    // A UTF-8 character is at most 3 bytes per UTF-16 unit.
    if (this.pos + s.length * 3 > this.buf.length) {
      if (s.length * 3 > CHUNK) {
        this.spill();
        this.pending.push(Buffer.from(s, 'utf8'));
        return;
      }
      this.spill();
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private pending: Buffer[] = [];
  /** Rows not yet in the buffer: written 64 KB at a time (one Buffer.write per row is slow). */
  private lines = '';
  private spill() {
    if (this.pos > 0) this.pending.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  async row(values: Cell[]): Promise<void> {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (i > 0) line += '\t';
      if (v === null || v === undefined) line += '\\N';
      else if (typeof v === 'string') line += escapeText(v);
      else if (typeof v === 'number') line += String(v);
      else if (typeof v === 'boolean') line += v ? 't' : 'f';
      else line += v.toISOString();
    }
    this.lines += line + '\n';
    if (this.lines.length > 65_536) {
      this.put(this.lines);
      this.lines = '';
    }
    this.rows++;
    if (this.pending.length > 0) await this.flush();
  }

  private async flush() {
    const out = this.pending;
    this.pending = [];
    for (const b of out) {
      if (!this.child.stdin!.write(b)) await Promise.race([once(this.child.stdin!, 'drain'), this.exited]);
    }
  }

  async end(): Promise<void> {
    if (this.lines) this.put(this.lines);
    this.lines = '';
    this.spill();
    await this.flush();
    this.child.stdin!.end();
    await this.exited;
  }
}
