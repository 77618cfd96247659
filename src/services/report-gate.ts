/**
 * How many heavy reports (a year's dashboard, the self-assessment's evidence, the annual report,
 * the MRC pack) one instance works on at once. Each runs several queries side by side; ten at once
 * would take every pooled connection, and the worklists (and the reports themselves) would wait
 * past the pool's connection timeout and fail. The rest wait their turn here, in order, without
 * holding a connection: a report is slower under a crowd, never refused.
 *
 * When the instance stops, `close` refuses the reports still waiting (ShuttingDown: 503, nothing
 * changed, try again) and resolves once those running have finished, so the database is closed
 * under none of them.
 */
import { ShuttingDown } from './errors.js';

export class ReportGate {
  private running = 0;
  private readonly waiting: { start: () => void; refuse: (err: Error) => void }[] = [];
  private closing: { idle: Promise<void>; resolve: () => void } | null = null;

  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw new ShuttingDown();
    if (this.running >= this.limit) await new Promise<void>((start, refuse) => this.waiting.push({ start, refuse }));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else if (--this.running === 0) this.idle();
    }
  }

  private idle() {
    this.closing?.resolve();
  }

  /** Refuses what waits, and resolves when nothing runs. */
  close(): Promise<void> {
    if (!this.closing) {
      let resolve!: () => void;
      const idle = new Promise<void>((r) => (resolve = r));
      this.closing = { idle, resolve };
      for (const w of this.waiting.splice(0)) w.refuse(new ShuttingDown());
      if (this.running === 0) resolve();
    }
    return this.closing.idle;
  }
}

/** Shared by the report services of one instance. */
export const reportGate = new ReportGate(Math.max(1, Number(process.env.PUTRIGHT_REPORTS_AT_ONCE ?? 2) || 2));
