/**
 * Landlord settings, held in the database so every instance sees the same values. Read through a
 * short-lived cache; a change through this service clears it at once in this instance.
 */
import { z } from 'zod';
import { WorkingDayCalendar } from '../core/calendar.js';
import { isValidLocalDate } from '../core/dates.js';
import { DEFAULT_EXCLUSION_GROUNDS } from '../core/rules.js';
import type { Db } from '../db/database.js';
import { recordHistory } from './history.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import { announceSettingsChanged } from './cluster.js';

const localDate = z.string().refine(isValidLocalDate, 'must be a real date written YYYY-MM-DD');

export const settingsSchema = z.object({
  landlord: z.object({
    name: z.string().min(1).max(200),
    primaryColour: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb'),
    logoUrl: z.string().max(2000).nullable(),
    address: z.string().max(1000),
    complaintsEmail: z.string().max(320),
    complaintsPhone: z.string().max(50),
  }),
  calendar: z.object({
    division: z.enum(['england-and-wales', 'scotland', 'northern-ireland']),
    closureDays: z.array(localDate).max(1000),
    cutoffTime: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time written HH:MM')
      .nullable(),
  }),
  serviceAreas: z.array(z.string().min(1).max(100)).max(200),
  categories: z.array(z.string().min(1).max(100)).max(500),
  exclusionGrounds: z.array(z.object({ key: z.string().regex(/^[a-z0-9_]{1,60}$/), label: z.string().min(1).max(500) })).min(1).max(50),
  ombudsman: z.object({
    name: z.string().min(1),
    phone: z.string(),
    email: z.string(),
    website: z.string(),
    address: z.string(),
  }),
  lgsco: z.object({
    name: z.string().min(1),
    phone: z.string(),
    website: z.string(),
    /** Service areas whose points go to the Local Government and Social Care Ombudsman. */
    serviceAreas: z.array(z.string()),
  }),
  /** Who letters come from by email: the From name and address (blank: the landlord's name and complaints email). */
  mail: z.object({ fromName: z.string().max(200), fromAddress: z.string().max(320) }),
  /** Letters sent by themselves when a handler records the step that calls for them (by letter kind). */
  letters: z.object({ autoSend: z.array(z.string().max(40)).max(20) }),
  /** Performance targets: the percentage of complaints to acknowledge, and to answer, on time. */
  targets: z.object({
    acknowledgementOnTime: z.number().int().min(0).max(100),
    responseOnTime: z.number().int().min(0).max(100),
  }),
});
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  landlord: {
    name: 'Example Housing Association',
    primaryColour: '#1d5c4d',
    logoUrl: null,
    address: '1 High Street, Anytown, AN1 1AA',
    complaintsEmail: 'complaints@example.org.uk',
    complaintsPhone: '0300 000 0000',
  },
  calendar: { division: 'england-and-wales', closureDays: [], cutoffTime: null },
  serviceAreas: ['Repairs', 'Damp and mould', 'Anti-social behaviour', 'Rent and service charges', 'Estate services', 'Lettings', 'Customer service', 'Support services'],
  categories: ['Quality of work', 'Delay', 'Staff conduct', 'Communication', 'Policy or decision', 'Charges', 'Contractor', 'Other'],
  exclusionGrounds: DEFAULT_EXCLUSION_GROUNDS,
  ombudsman: {
    name: 'Housing Ombudsman Service',
    phone: '0300 111 3000',
    email: 'info@housing-ombudsman.org.uk',
    website: 'www.housing-ombudsman.org.uk',
    address: 'PO Box 1484, Unit D, Preston, PR2 0ET',
  },
  lgsco: {
    name: 'Local Government and Social Care Ombudsman',
    phone: '0300 061 0614',
    website: 'www.lgo.org.uk',
    serviceAreas: ['Support services'],
  },
  targets: { acknowledgementOnTime: 95, responseOnTime: 95 },
  mail: { fromName: '', fromAddress: '' },
  letters: { autoSend: [] },
};

const CACHE_MS = 5_000;

export class SettingsService {
  private cache: { at: number; settings: Settings; calendar: WorkingDayCalendar } | null = null;

  constructor(private readonly db: Db) {}

  async get(): Promise<Settings> {
    return (await this.load()).settings;
  }

  async calendar(): Promise<WorkingDayCalendar> {
    return (await this.load()).calendar;
  }

  /** Settings and calendar together (one cache read). */
  async load(): Promise<{ settings: Settings; calendar: WorkingDayCalendar }> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache;
    const rows = await this.db.selectFrom('settings').select(['key', 'value']).execute();
    const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    const merged: any = { ...DEFAULT_SETTINGS };
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      if (stored[key] !== undefined) {
        const v = stored[key] as any;
        merged[key] = typeof v === 'object' && !Array.isArray(v) && v ? { ...(DEFAULT_SETTINGS as any)[key], ...v } : v;
      }
    }
    const settings = settingsSchema.parse(merged);
    const calendar = new WorkingDayCalendar(settings.calendar);
    this.cache = { at: now, settings, calendar };
    return this.cache;
  }

  invalidate() {
    this.cache = null;
  }

  /** Replace some sections of the settings. Returns the whole settings after the change. */
  async update(actor: Actor, patch: Partial<Settings>, trxDb?: Db): Promise<Settings> {
    requirePermission(actor, 'settings:manage');
    const current = await this.get();
    const next = settingsSchema.parse({ ...current, ...patch });
    const run = async (trx: Db) => {
      for (const key of Object.keys(patch) as (keyof Settings)[]) {
        await trx
          .insertInto('settings')
          .values({ key, value: JSON.stringify(next[key]), updated_by: actor.id })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(next[key]), updated_by: actor.id, updated_at: new Date() }))
          .execute();
        await recordHistory(trx, actor, { entity: 'settings', action: `settings_${key}_changed`, before: current[key], after: next[key] });
      }
    };
    if (trxDb) await run(trxDb);
    else await this.db.transaction().execute(run);
    this.invalidate();
    // NOTIFY is transactional: inside the caller's transaction it is sent when that commits.
    await announceSettingsChanged(trxDb ?? this.db);
    return next;
  }
}
