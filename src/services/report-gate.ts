/**
 * How many heavy reports (a year's dashboard, the self-assessment's evidence, the annual report,
 * the MRC pack) one instance works on at once. Each runs several queries side by side; ten at once
 * would take every pooled connection, and the worklists (and the reports themselves) would wait
 * past the pool's connection timeout and fail. The rest wait their turn here, in order, without
 * holding a connection: a report is slower under a crowd, never refused.
 */
export class ReportGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** Shared by the report services of one instance. */
export const reportGate = new ReportGate(Math.max(1, Number(process.env.PUTRIGHT_REPORTS_AT_ONCE ?? 2) || 2));
