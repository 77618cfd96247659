// Pure helpers on calendar dates held as 'YYYY-MM-DD' strings.
//
// All arithmetic is done on UTC day numbers (days since 1970-01-01, from
// Date.UTC), never in the process's local time zone. The only time-zone aware
// code is the conversion of an instant to a Europe/London date and time.

/** A calendar date, 'YYYY-MM-DD' (years 0000–9999). */
export type LocalDate = string;

const DAY_MS = 86_400_000;
/** Days in 400 Gregorian years: used to keep Date.UTC away from its 0–99 ⇒ 1900s quirk. */
const DAYS_IN_400_YEARS = 146_097;
const SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIN_DAY = -719_528; // 0000-01-01
const MAX_DAY = 2_932_896; // 9999-12-31

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function utcDayNumber(y: number, m: number, d: number): number {
  // Date.UTC reads years 0–99 as 1900–1999, so shift such years by 400 and back.
  return y < 100
    ? Date.UTC(y + 400, m - 1, d) / DAY_MS - DAYS_IN_400_YEARS
    : Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Strict check: the right shape and a real date (2024-02-29 yes, 2025-02-29 no). */
export function isValidLocalDate(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = SHAPE.exec(s);
  if (m === null) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(m[1]), month);
}

/** Throws a RangeError unless `d` is a valid LocalDate. */
export function assertLocalDate(d: LocalDate, what = 'date'): void {
  if (!isValidLocalDate(d)) {
    throw new RangeError(`Invalid ${what}: ${JSON.stringify(d)} is not a real calendar date in the form YYYY-MM-DD`);
  }
}

function assertInteger(n: number, what: string): void {
  if (!Number.isInteger(n)) throw new RangeError(`Invalid ${what}: ${String(n)} is not an integer`);
}

/** Days since 1970-01-01 (negative before). Validates `d`. */
export function toDayNumber(d: LocalDate): number {
  const known = DAY_NUMBER_OF.get(d);
  if (known !== undefined) return known;
  assertLocalDate(d);
  const n = utcDayNumber(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
  remember(n, d);
  return n;
}

// Date strings and day numbers convert both ways constantly (the working-day calendar walks day
// by day): remember the conversions, bounded, so hot paths skip the parsing and Date objects.
const DAY_NUMBER_OF = new Map<string, number>();
const DATE_OF = new Map<number, LocalDate>();
function remember(n: number, d: LocalDate) {
  if (DATE_OF.size > 100_000) {
    DATE_OF.clear();
    DAY_NUMBER_OF.clear();
  }
  DATE_OF.set(n, d);
  DAY_NUMBER_OF.set(d, n);
}

/** The LocalDate of a day number (see toDayNumber). */
export function fromDayNumber(n: number): LocalDate {
  const known = DATE_OF.get(n);
  if (known !== undefined) return known;
  assertInteger(n, 'day number');
  if (n < MIN_DAY || n > MAX_DAY) throw new RangeError(`Date out of range: day number ${n} is outside years 0000–9999`);
  const d = new Date(n * DAY_MS).toISOString().slice(0, 10);
  remember(n, d);
  return d;
}

/** The calendar year of a day number. */
export function yearOfDayNumber(n: number): number {
  return new Date(n * DAY_MS).getUTCFullYear();
}

/** Day of the week of a day number: 0 = Sunday … 6 = Saturday. */
export function dayOfWeekOfDayNumber(n: number): number {
  return (((n + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

export function addDays(d: LocalDate, n: number): LocalDate {
  assertInteger(n, 'number of days');
  return fromDayNumber(toDayNumber(d) + n);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(d: LocalDate): number {
  return dayOfWeekOfDayNumber(toDayNumber(d));
}

export function compareDates(a: LocalDate, b: LocalDate): -1 | 0 | 1 {
  assertLocalDate(a);
  assertLocalDate(b);
  return a < b ? -1 : a > b ? 1 : 0; // fixed-width ISO dates sort as strings
}

/** Calendar days from a to b (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return toDayNumber(b) - toDayNumber(a);
}

export function maxDate(first: LocalDate, ...rest: LocalDate[]): LocalDate {
  assertLocalDate(first);
  let best = first;
  for (const d of rest) if (compareDates(d, best) > 0) best = d;
  return best;
}

export function minDate(first: LocalDate, ...rest: LocalDate[]): LocalDate {
  assertLocalDate(first);
  let best = first;
  for (const d of rest) if (compareDates(d, best) < 0) best = d;
  return best;
}

/** Adds calendar months, clamping to the end of the month (31 January + 1 month = 28/29 February). */
export function addMonths(d: LocalDate, n: number): LocalDate {
  assertLocalDate(d);
  assertInteger(n, 'number of months');
  const total = Number(d.slice(0, 4)) * 12 + (Number(d.slice(5, 7)) - 1) + n;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  if (y < 0 || y > 9999) throw new RangeError(`Date out of range: ${d} plus ${n} months is outside years 0000–9999`);
  const day = Math.min(Number(d.slice(8, 10)), daysInMonth(y, m));
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

// One shared formatter: creating Intl formatters is expensive and these run on hot paths.
const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** The Europe/London calendar date and wall-clock time ('HH:MM', 24-hour) of an instant. */
export function londonDateTimeOf(instant: Date): { date: LocalDate; time: string } {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new RangeError(`Invalid instant: ${String(instant)}`);
  }
  // UK clocks change on the hour (01:00 UTC), so the offset is constant within each UTC hour:
  // ask Intl once per hour and do the rest with arithmetic (Intl formatting is slow).
  const ms = instant.getTime();
  // A UTC day with the same offset at its first and last hour has it all day (clocks change at
  // most once a day); otherwise look the hour up.
  const dayN = Math.floor(ms / DAY_MS);
  let offset = OFFSET_BY_DAY.get(dayN);
  if (offset === undefined) {
    const first = intlOffsetMinutes(new Date(dayN * DAY_MS));
    const last = intlOffsetMinutes(new Date(dayN * DAY_MS + 23 * 3_600_000));
    offset = first === last ? first : null;
    if (OFFSET_BY_DAY.size > 100_000) OFFSET_BY_DAY.clear();
    OFFSET_BY_DAY.set(dayN, offset);
  }
  if (offset === null) offset = intlOffsetMinutes(new Date(Math.floor(ms / 3_600_000) * 3_600_000));
  const local = new Date(ms + offset * 60_000);
  const yy = local.getUTCFullYear();
  if (yy < 1 || yy > 9999) return intlDateTimeOf(instant);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return {
    date: `${String(yy).padStart(4, '0')}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`,
    time: `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`,
  };
}

const OFFSET_BY_DAY = new Map<number, number | null>();

function intlOffsetMinutes(instant: Date): number {
  const { date, time } = intlDateTimeOf(instant);
  const wallMs = utcDayNumber(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))) * DAY_MS
    + (Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))) * 60_000;
  return Math.round((wallMs - Math.floor(instant.getTime() / 60_000) * 60_000) / 60_000);
}

function intlDateTimeOf(instant: Date): { date: LocalDate; time: string } {
  let y = '', mo = '', d = '', h = '', mi = '';
  for (const p of LONDON.formatToParts(instant)) {
    switch (p.type) {
      case 'year': y = p.value; break;
      case 'month': mo = p.value; break;
      case 'day': d = p.value; break;
      case 'hour': h = p.value; break;
      case 'minute': mi = p.value; break;
    }
  }
  return { date: `${y.padStart(4, '0')}-${mo}-${d}`, time: `${h}:${mi}` };
}

export function londonDateOf(instant: Date): LocalDate {
  return londonDateTimeOf(instant).date;
}

export function londonTimeOf(instant: Date): string {
  return londonDateTimeOf(instant).time;
}

/** Minutes by which Europe/London is ahead of UTC at an instant (0 in GMT, 60 in BST). */
function londonOffsetMinutes(ms: number): number {
  const { date, time } = londonDateTimeOf(new Date(ms));
  const wallMs = utcDayNumber(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))) * DAY_MS
    + (Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))) * 60_000;
  return Math.round((wallMs - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

/** The instant of 00:00 Europe/London on `d` (23:00 UTC the day before in BST, 00:00 UTC in GMT). */
export function londonStartOfDay(d: LocalDate): Date {
  const utcMidnight = toDayNumber(d) * DAY_MS;
  // Guess with the offset at UTC midnight, then correct with the offset at the guess.
  // UK clocks change at 01:00 UTC, so London midnight always exists and is unique.
  let guess = utcMidnight - londonOffsetMinutes(utcMidnight) * 60_000;
  guess = utcMidnight - londonOffsetMinutes(guess) * 60_000;
  return new Date(guess);
}

/** E.g. 'Monday 28 April 2025'. */
export function formatLongDate(d: LocalDate): string {
  const dn = toDayNumber(d);
  return `${WEEKDAYS[dayOfWeekOfDayNumber(dn)]} ${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1]} ${Number(d.slice(0, 4))}`;
}
