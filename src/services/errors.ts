/** Errors the application services raise; the HTTP adapter maps each to a status. */
import { formatCount } from '../core/numbers.js';
export class NotFound extends Error {
  constructor(what: string) {
    super(`${what} was not found.`);
    this.name = 'NotFound';
  }
}

/** The client's version is stale: someone else changed the record first. */
export class VersionConflict extends Error {
  constructor(
    what: string,
    public readonly currentVersion: number,
  ) {
    super(`${what} has been changed by someone else since you loaded it (it is now at version ${currentVersion}). Reload it and try again.`);
    this.name = 'VersionConflict';
  }
}

/** Input that is well formed but not acceptable (an unknown reference, a value not in a list). */
export class InvalidInput extends Error {
  constructor(
    message: string,
    public readonly field?: string,
  ) {
    super(message);
    this.name = 'InvalidInput';
  }
}

export class Forbidden extends Error {
  constructor(message = 'You do not have permission to do that.') {
    super(message);
    this.name = 'Forbidden';
  }
}

export class IdempotencyMismatch extends Error {
  constructor() {
    super('This Idempotency-Key was already used with a different request.');
    this.name = 'IdempotencyMismatch';
  }
}

/** The data is too large for one XLSX workbook: the CSV files (ZIP) are the export for it. */
export class TooLargeForWorkbook extends Error {
  constructor(
    public readonly table: string,
    public readonly limit: number,
  ) {
    super(
      `The ${table} table has more than ${formatCount(limit)} rows, too many for the Excel workbook, which is only for smaller data sets. Download the CSV files (ZIP) instead: they hold every row of every table.`,
    );
    this.name = 'TooLargeForWorkbook';
  }
}

/** The instance is stopping: work that had not started is refused (503), so the client tries again on another. */
export class ShuttingDown extends Error {
  constructor() {
    super('This server is restarting. Nothing was changed; please try again shortly.');
    this.name = 'ShuttingDown';
  }
}
