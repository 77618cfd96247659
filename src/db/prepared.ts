/**
 * Name the statements Kysely sends, so PostgreSQL (embedded or a server) parses and plans each
 * distinct statement once per connection and then only binds and runs it. For the small queries
 * behind a page, parsing and planning cost about as much as running them: a third of the server's
 * CPU per HTML page on the 10,000-home demo, where PGlite runs in the server's own thread. On a
 * PostgreSQL server, DATABASE_PREPARED_STATEMENTS=false turns it off for poolers that cannot keep
 * named statements (PgBouncer before 1.21 in transaction mode).
 *
 * - Only statements with parameters are named: transaction control and the like go as before.
 * - Not statements whose columns are expanded from `*` (`select *`, `t.*`, `returning *`): a later
 *   `alter table` would change their result, and PostgreSQL refuses to run a cached statement whose
 *   result changed. For the same reason, schema changes sent through the connection (migrations:
 *   create, alter, drop) start a new set of names, so nothing prepared before them is reused.
 * - At most `max` names per connection, so memory stays bounded whatever SQL is built (lists of
 *   ids of varying length make new statements); past that, statements go unnamed as before.
 */
import crypto from 'node:crypto';
import type pg from 'pg';

/**
 * `*` standing for columns (`select *`, `t.*`, `, *`, `returning *`), not the one in count(*) nor
 * a multiplication (`x * 1000`): a star after a value is arithmetic. A star after a closing
 * bracket could be either (`distinct on (x) *`) and counts as columns, which only costs naming.
 */
const EXPANDS_STAR = /(?:\bselect|\bdistinct|\breturning|[,(.)])\s*\*(?!\s*\))/i;
const SCHEMA_CHANGE = /^\s*(create|alter|drop|truncate)\b/i;

export function statementName(text: string, generation = 0): string | null {
  if (EXPANDS_STAR.test(text)) return null;
  return `k${generation}_${crypto.createHash('sha1').update(text).digest('base64url')}`;
}

export function namePreparedStatements(pool: pg.Pool, max = 500): pg.Pool {
  pool.on('connect', (client: pg.PoolClient) => {
    let names = new Map<string, string | null>();
    let issued = 0;
    let generation = 0;
    const query = client.query.bind(client) as (...args: unknown[]) => any;
    (client as any).query = (config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof config === 'string' && SCHEMA_CHANGE.test(config)) {
        names = new Map();
        generation++;
      }
      if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
        let name = names.get(config);
        if (name === undefined && issued < max) {
          name = statementName(config, generation);
          names.set(config, name);
          if (name) issued++;
        }
        if (name) return query({ text: config, values, name });
      }
      return callback !== undefined ? query(config, values, callback) : values !== undefined ? query(config, values) : query(config);
    };
  });
  return pool;
}
