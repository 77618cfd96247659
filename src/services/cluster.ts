/**
 * Several instances on one PostgreSQL: what one instance caches in memory, another may change.
 * Settings are cached for a few seconds per instance; a change on any instance is announced with
 * NOTIFY and every instance listening drops its cache at once, so a new closure day or exclusion
 * ground applies everywhere immediately (without the listener, within the cache's 5 seconds).
 * Who a token or session belongs to is cached the same way (services/auth-cache.ts): sign-out,
 * role changes and deactivation are announced on `putright_auth` and clear every instance's cache.
 * Staff names are cached for 10 seconds for display only: a renamed colleague may show under the
 * old name that long, which changes nothing recorded.
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/database.js';

export const SETTINGS_CHANNEL = 'putright_settings';

/** Tell every instance the settings changed (after the change committed). Never fails the change. */
export async function announceSettingsChanged(db: Db): Promise<void> {
  try {
    await sql`select pg_notify(${SETTINGS_CHANNEL}, '')`.execute(db);
  } catch {
    /* the cache expires on its own within seconds */
  }
}

/** Listen for settings changes announced by other instances; reconnects after a lost connection. */
export function listenForSettingsChanges(url: string, onChange: () => void, log?: { warn: (o: object, m: string) => void }): { close(): Promise<void> } {
  return listenForChanges(url, { [SETTINGS_CHANNEL]: onChange }, log);
}

/**
 * Listen on several channels over one connection; reconnects after a lost connection, calling
 * every handler then (changes may have been missed while disconnected).
 */
export function listenForChanges(url: string, handlers: Record<string, () => void>, log?: { warn: (o: object, m: string) => void }): { close(): Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const all = () => {
    for (const h of Object.values(handlers)) h();
  };
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    client = c;
    c.on('notification', (n) => {
      handlers[n.channel]?.();
    });
    c.on('error', () => {});
    c.on('end', () => {
      if (closed) return;
      all(); // changes may have been missed while disconnected
      retry = setTimeout(() => void connect(), 2_000);
      retry.unref();
    });
    try {
      await c.connect();
      for (const channel of Object.keys(handlers)) {
        if (!/^[a-z_]+$/.test(channel)) throw new Error(`bad channel name ${channel}`);
        await c.query(`listen ${channel}`);
      }
    } catch (err) {
      log?.warn({ err }, 'could not listen for changes from other instances; retrying');
      await c.end().catch(() => {});
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
