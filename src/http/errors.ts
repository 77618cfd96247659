/** Maps every error to a clear 4xx (naming the field) or 503; a 500 only for a real fault. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { RuleViolation } from '../core/lifecycle.js';
import { Forbidden, IdempotencyMismatch, InvalidInput, NotFound, ShuttingDown, TooLargeForWorkbook, VersionConflict } from '../services/errors.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isDatabaseUnavailable(err: any): boolean {
  if (!err) return false;
  if (CONNECTION_CODES.has(err.code)) return true;
  const m = String(err.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|driver has already been destroyed|the database system is (starting up|shutting down)/i.test(m);
}

function fieldOf(path: string, context?: string) {
  const p = path.replace(/^\//, '').replace(/\//g, '.');
  if (context === 'body' || !context) return p || 'body';
  return p ? `${context === 'querystring' ? 'query' : context}.${p}` : context;
}

export interface ErrorPayload {
  status: number;
  body: { error: string; message: string; field?: string; details?: { field: string; message: string }[]; currentVersion?: number; table?: string; limit?: number };
}

export function toErrorPayload(err: any): ErrorPayload {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = err.validation.map((v: any) => ({ field: fieldOf(v.instancePath, err.validationContext), message: v.message }));
    const first = details[0];
    return { status: 400, body: { error: 'invalid_input', message: `${first.field}: ${first.message}`, field: first.field, details } };
  }
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
    return { status: 400, body: { error: 'invalid_input', message: `${details[0].field}: ${details[0].message}`, field: details[0].field, details } };
  }
  if (err instanceof RuleViolation) return { status: 422, body: { error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
  if (err instanceof InvalidInput) return { status: 422, body: { error: 'invalid_input', message: err.message, ...(err.field ? { field: err.field } : {}) } };
  if (err instanceof NotFound) return { status: 404, body: { error: 'not_found', message: err.message } };
  if (err instanceof VersionConflict) return { status: 409, body: { error: 'version_conflict', message: err.message, currentVersion: err.currentVersion } };
  if (err instanceof IdempotencyMismatch) return { status: 422, body: { error: 'idempotency_key_reused', message: err.message, field: 'Idempotency-Key' } };
  if (err instanceof TooLargeForWorkbook) return { status: 422, body: { error: 'too_large_for_workbook', message: err.message, table: err.table, limit: err.limit } };
  if (err instanceof Forbidden) return { status: 403, body: { error: 'forbidden', message: err.message } };
  // PostgreSQL "data exception" (SQLSTATE class 22): a value the database cannot take, e.g. a NUL
  // character in text, a year-0 date or a malformed id inside a cursor. The input's fault, not ours.
  if (typeof err?.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code)) {
    return { status: 400, body: { error: 'invalid_input', message: 'A value in the request cannot be stored or searched for (for example a NUL character, or a date out of range).' } };
  }
  // A unique constraint (e.g. a resident reference already in use, or two requests racing).
  if (err?.code === '23505') return { status: 409, body: { error: 'conflict', message: 'That would duplicate a record that already exists, for example a reference already in use.' } };
  // SQLSTATE class 53 (insufficient resources: disk full, out of memory): the transaction was rolled back.
  if (typeof err?.code === 'string' && /^53[0-9A-Z]{3}$/.test(err.code)) {
    return { status: 507, body: { error: 'storage_full', message: 'The server could not store this: its storage is full or out of resources. Nothing was saved; tell your administrator.' } };
  }
  if (err instanceof ShuttingDown) return { status: 503, body: { error: 'unavailable', message: err.message } };
  if (isDatabaseUnavailable(err)) return { status: 503, body: { error: 'unavailable', message: 'The database is not available just now. Nothing was changed; please try again shortly.' } };
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const messages: Record<string, string> = {
      FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large.',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The request body must be JSON (Content-Type: application/json).',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty; send a JSON object.',
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length does not match the body.',
    };
    const msg = messages[fe.code] ?? (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'The request body is not valid JSON.' : fe.message);
    return { status: fe.statusCode, body: { error: (fe.code ?? 'bad_request').toLowerCase(), message: msg } };
  }
  return { status: 500, body: { error: 'internal', message: 'Something went wrong on our side. It has been logged.' } };
}

export function errorHandler(err: any, req: FastifyRequest, reply: FastifyReply) {
  const { status, body } = toErrorPayload(err);
  // A download that failed before its first byte (a stream's headers are already on the raw
  // response, waiting for its first chunk) is answered as an error, not as the file.
  reply.removeHeader('content-disposition');
  if (!reply.raw.headersSent) reply.raw.removeHeader('content-disposition');
  if (status >= 500) req.log.error({ err }, 'request failed');
  else req.log.info({ status, error: body.error }, 'request refused');
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}
