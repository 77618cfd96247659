/**
 * The bench's baseline: a bare Fastify route running the worklist's SQL straight through `pg`
 * (no sessions, permissions, services, validation or views), so the product's overhead shows as a
 * ratio. Run in its own process by bench/run.ts: `tsx bench/baseline.ts` with DATABASE_URL and PORT.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { pathToFileURL } from 'node:url';

/**
 * The SQL ComplaintService.list runs for "a handler's open complaints by deadline, first 50"
 * ("open" written in as constants, as the service writes it: see IS_OPEN there).
 */
export const WORKLIST_SQL = `
select complaints.id, complaints.reference, complaints.status, complaints.stage, complaints.received_at, complaints.received_on,
       complaints.service_area, complaints.category, complaints.channel, complaints.stage1_handler_id, complaints.stage2_handler_id,
       complaints.next_due_on, complaints.next_due_kind, complaints.vulnerable, complaints.extended, complaints.outcome, complaints.version,
       complaints.anonymous, residents.given_name, residents.family_name, residents.postcode,
       h1.name as stage1_handler_name, h2.name as stage2_handler_name
  from complaints
  left join residents on residents.id = complaints.resident_id
  left join users as h1 on h1.id = complaints.stage1_handler_id
  left join users as h2 on h2.id = complaints.stage2_handler_id
 where complaints.id in (
   select complaints.id from complaints
    where complaints.status in ('awaiting_acknowledgement', 'investigating', 'responded')
      and ((complaints.stage = $1 and complaints.stage1_handler_id = $2) or (complaints.stage = $3 and complaints.stage2_handler_id = $4))
      and complaints.next_due_on is not null
    order by complaints.next_due_on, complaints.id
    limit $5)
 order by complaints.next_due_on, complaints.id`;

/** Its values for a handler's first page (50, and one more to know whether there is a next). */
export function worklistValues(handlerId: string): unknown[] {
  return [1, handlerId, 2, handlerId, 51];
}

async function main() {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  const app = Fastify({ logger: false });
  app.get('/worklist', async (req) => {
    const h = (req.query as { handlerId: string }).handlerId;
    // Prepared once per connection, as the product's queries are (DATABASE_PREPARED_STATEMENTS, on by default).
    const { rows } = await pool.query({ name: 'worklist', text: WORKLIST_SQL, values: worklistValues(h) });
    return { items: rows.slice(0, 50) };
  });
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
}

// Run as a script by bench/run.ts; imported by test/http/bench-baseline.test.ts for its SQL only.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
