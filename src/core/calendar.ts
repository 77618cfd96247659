// The working-day calendar (rules.md §2): Monday to Friday, excluding the bank
// holidays of the landlord's part of the UK and any landlord closure days.
// The day of receipt is day 0; a receipt on a non-working day counts as
// received on the next working day. Pure: no I/O.

import Holidays from 'date-holidays';
import {
  type LocalDate,
  assertLocalDate,
  dayOfWeekOfDayNumber,
  fromDayNumber,
  londonDateTimeOf,
  toDayNumber,
  yearOfDayNumber,
} from './dates.js';

export type Division = 'england-and-wales' | 'scotland' | 'northern-ireland';

export interface CalendarSettings {
  division: Division;
  closureDays?: LocalDate[];
  /** 'HH:MM' Europe/London; a receipt at or after it counts as received the next day. */
  cutoffTime?: string | null;
}

// date-holidays regions. England and Wales share their bank holidays, so 'ENG' serves both.
const REGION: Record<Division, string> = {
  'england-and-wales': 'ENG',
  scotland: 'SCT',
  'northern-ireland': 'NIR',
};

// Corrections to date-holidays so that the calendar matches GOV.UK
// (https://www.gov.uk/bank-holidays.json). Checked for 2018–2028 against the GOV.UK
// data in shared/reference: date-holidays 3.37.0 agrees on every weekday for all three
// divisions (including the 2022 State Funeral and the 2023 Coronation), so this is
// empty. Use it for a bank holiday announced at short notice before date-holidays
// catches up: a name adds the day, null removes it.
const GOVUK_CORRECTIONS: readonly { division: Division; date: LocalDate; name: string | null }[] = [];

const CUTOFF = /^([01]\d|2[0-3]):[0-5]\d$/;
const CLOSURE_NAME = 'Landlord closure day';

interface YearHolidays {
  readonly year: number;
  /** Day number of 1 January of the following year. */
  readonly end: number;
  /** Day number of 1 January of this year. */
  readonly start: number;
  readonly byDay: ReadonlyMap<number, string>;
  readonly list: readonly { date: LocalDate; name: string }[];
}

// Shared caches: one Holidays instance per division and one holiday set per (division, year).
const holidaysInstances = new Map<Division, Holidays>();
const yearCache = new Map<string, YearHolidays>();

function holidaysFor(division: Division): Holidays {
  let h = holidaysInstances.get(division);
  if (h === undefined) {
    h = new Holidays('GB', REGION[division]);
    holidaysInstances.set(division, h);
  }
  return h;
}

function yearHolidays(division: Division, year: number): YearHolidays {
  const key = `${division}:${year}`;
  const cached = yearCache.get(key);
  if (cached !== undefined) return cached;

  const prefix = `${String(year).padStart(4, '0')}-`;
  const byDate = new Map<LocalDate, string>();
  for (const h of holidaysFor(division).getHolidays(year, 'en')) {
    const date = h.date.slice(0, 10);
    if ((h.type === 'public' || h.type === 'bank') && date.startsWith(prefix) && !byDate.has(date)) {
      byDate.set(date, h.name);
    }
  }
  for (const c of GOVUK_CORRECTIONS) {
    if (c.division !== division || !c.date.startsWith(prefix)) continue;
    if (c.name === null) byDate.delete(c.date);
    else byDate.set(c.date, c.name);
  }
  const list = [...byDate].map(([date, name]) => ({ date, name })).sort((a, b) => (a.date < b.date ? -1 : 1));
  const start = toDayNumber(`${prefix}01-01`);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const result: YearHolidays = {
    year,
    start,
    end: start + (leap ? 366 : 365),
    byDay: new Map(list.map(({ date, name }) => [toDayNumber(date), name])),
    list,
  };
  yearCache.set(key, result);
  return result;
}

function assertCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Invalid number of working days: ${String(n)} (must be a whole number, 0 or more)`);
  }
}

export class WorkingDayCalendar {
  readonly settings: CalendarSettings;
  private readonly division: Division;
  private readonly closures: ReadonlySet<number>;
  private readonly cutoff: string | null;
  /** workingDaysBetween's answers by day-number pair (bounded). */
  private readonly spans = new Map<number, number>();

  constructor(settings: CalendarSettings) {
    if (!Object.hasOwn(REGION, settings?.division)) {
      throw new RangeError(`Invalid division: ${JSON.stringify(settings?.division)} (expected england-and-wales, scotland or northern-ireland)`);
    }
    const cutoff = settings.cutoffTime ?? null;
    if (cutoff !== null && (typeof cutoff !== 'string' || !CUTOFF.test(cutoff))) {
      throw new RangeError(`Invalid cut-off time: ${JSON.stringify(cutoff)} (expected HH:MM, 24-hour, Europe/London)`);
    }
    const closureDays = [...(settings.closureDays ?? [])];
    for (const d of closureDays) assertLocalDate(d, 'closure day');

    this.division = settings.division;
    this.cutoff = cutoff;
    this.closures = new Set(closureDays.map(toDayNumber));
    this.settings = Object.freeze({ division: settings.division, closureDays: Object.freeze(closureDays) as LocalDate[], cutoffTime: cutoff });
  }

  // Day-number core: the loops below stay on integers and fetch a year's holidays
  // only when they cross into a new year.

  private yearOf(dn: number): YearHolidays {
    return yearHolidays(this.division, yearOfDayNumber(dn));
  }

  private works(dn: number, yh: YearHolidays): boolean {
    const dow = dayOfWeekOfDayNumber(dn);
    return dow !== 0 && dow !== 6 && !yh.byDay.has(dn) && !this.closures.has(dn);
  }

  /** First working day on or after dn. */
  private effective(dn: number): number {
    let yh = this.yearOf(dn);
    while (!this.works(dn, yh)) {
      dn++;
      if (dn >= yh.end) yh = yearHolidays(this.division, yh.year + 1);
    }
    return dn;
  }

  /** The n-th working day strictly after dn. */
  private forward(dn: number, n: number): number {
    let yh = this.yearOf(dn);
    while (n > 0) {
      dn++;
      if (dn >= yh.end) yh = yearHolidays(this.division, yh.year + 1);
      if (this.works(dn, yh)) n--;
    }
    return dn;
  }

  /** Working days d with lo < d <= hi. */
  private count(lo: number, hi: number): number {
    let n = 0;
    let yh = this.yearOf(hi);
    for (let dn = hi; dn > lo; dn--) {
      if (dn < yh.start) yh = yearHolidays(this.division, yh.year - 1);
      if (this.works(dn, yh)) n++;
    }
    return n;
  }

  /** Monday to Friday, not a bank holiday of the division, not a closure day. */
  isWorkingDay(d: LocalDate): boolean {
    const dn = toDayNumber(d);
    return this.works(dn, this.yearOf(dn));
  }

  /** The bank holiday's name, 'Landlord closure day', or null. */
  holidayName(d: LocalDate): string | null {
    const dn = toDayNumber(d);
    return this.yearOf(dn).byDay.get(dn) ?? (this.closures.has(dn) ? CLOSURE_NAME : null);
  }

  /** The first working day strictly after d. */
  nextWorkingDay(d: LocalDate): LocalDate {
    return fromDayNumber(this.forward(toDayNumber(d), 1));
  }

  /** d if it is a working day, otherwise the next working day. */
  effectiveStartDate(d: LocalDate): LocalDate {
    return fromDayNumber(this.effective(toDayNumber(d)));
  }

  /** Day 0 is effectiveStartDate(start); returns the n-th working day after it. */
  addWorkingDays(start: LocalDate, n: number): LocalDate {
    const dn = toDayNumber(start);
    assertCount(n);
    return fromDayNumber(this.forward(this.effective(dn), n));
  }

  /** Working days d with from < d <= to; negative (minus those with to < d <= from) when to < from. */
  workingDaysBetween(from: LocalDate, to: LocalDate): number {
    const a = toDayNumber(from);
    const b = toDayNumber(to);
    // Remembered per calendar (which never changes): a worklist asks for the same today-to-deadline
    // spans on every page, and an overdue case's span is a day-by-day count.
    const memo = a >= 0 && b >= 0 && a < 1e7 && b < 1e7;
    const key = a * 1e7 + b;
    if (memo) {
      const hit = this.spans.get(key);
      if (hit !== undefined) return hit;
    }
    const n = b >= a ? this.count(a, b) : 0 - this.count(b, a); // 0 - x, not -x: never -0
    if (memo) {
      if (this.spans.size >= 10_000) this.spans.clear();
      this.spans.set(key, n);
    }
    return n;
  }

  /** The Europe/London date of receipt after applying the cut-off, moved to a working day. */
  receiptDate(instant: Date): LocalDate {
    const { date, time } = londonDateTimeOf(instant);
    let dn = toDayNumber(date);
    if (this.cutoff !== null && time >= this.cutoff) dn++;
    return fromDayNumber(this.effective(dn));
  }

  /** n working days after the (effective) date of receipt of the instant. */
  deadlineFrom(instant: Date, n: number): LocalDate {
    assertCount(n);
    return this.addWorkingDays(this.receiptDate(instant), n);
  }

  /** The division's bank holidays in a year, weekday and weekend, in date order. */
  bankHolidays(year: number): { date: LocalDate; name: string }[] {
    if (!Number.isInteger(year) || year < 0 || year > 9999) throw new RangeError(`Invalid year: ${String(year)}`);
    return yearHolidays(this.division, year).list.map((h) => ({ ...h }));
  }
}
