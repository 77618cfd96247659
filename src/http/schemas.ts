/** Shared zod pieces for route schemas. Messages name what is wrong in plain words. */
import { z } from 'zod';
import { isValidLocalDate } from '../core/dates.js';

export const localDate = z
  .string()
  .refine(isValidLocalDate, { message: 'must be a real date written YYYY-MM-DD' })
  .meta({ format: 'date', example: '2025-04-28' });

export const instant = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && isValidLocalDate(s.slice(0, 10)) && !Number.isNaN(Date.parse(s)), {
    message: 'must be a date and time with a time zone, e.g. 2025-04-17T10:30:00Z',
  })
  .meta({ format: 'date-time' });

export const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be an id (a UUID)');
export const text = (max = 10_000) => z.string().trim().min(1, 'must not be empty').max(max);
export const optionalText = (max = 10_000) => z.string().max(max).nullish();
export const version = z.number().int().min(1);
export const idParams = z.object({ id: uuid });
export const errorBody = z.object({ error: z.string(), message: z.string(), field: z.string().optional(), details: z.array(z.object({ field: z.string(), message: z.string() })).optional() });

export const idempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough();

/** A query-string boolean: 'true' or 'false'. */
export const queryBool = z.enum(['true', 'false']).transform((v) => v === 'true');
