import { sql, type Kysely } from 'kysely';

/**
 * The dashboard's putting-things-right figures at national scale (issue 9): the remedies that
 * count in a period are those recorded by its end and not finished before its start. An index on
 * the day each remedy finished (the expression `REMEDY_IN_PERIOD` in
 * src/services/remedy-figure-queries.ts compares, written the same way) reads only those, not
 * every remedy of every earlier year.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists remedies_finished_on on remedies ((coalesce(completed_on, cancelled_on, declined_on, lapsed_on, case when status = 'offered' then open_until + 1 end, date '9999-12-31')))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
