/**
 * Browser sessions. The cookie holds a random id; the database holds only its hash, with the
 * user and the session's CSRF token. A new id is issued at every sign-in (no fixation).
 */
import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import { isRole } from '../core/permissions.js';
import type { Actor } from './actor.js';
import { AuthCache, type CachedSession } from './auth-cache.js';

const IDLE_MINUTES = 60;
const ABSOLUTE_HOURS = 12;

const hash = (id: string) => crypto.createHash('sha256').update(id).digest('hex');

export interface SessionInfo {
  actor: Actor;
  csrfToken: string;
}

export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
    /** Shared with UserService: role changes and deactivation clear it (see auth-cache.ts). */
    private readonly cache: AuthCache = new AuthCache({ ttlMs: 0 }),
  ) {}

  async start(userId: string): Promise<{ id: string; csrfToken: string }> {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrfToken = crypto.randomBytes(24).toString('base64url');
    const now = this.clock();
    await this.db
      .insertInto('sessions')
      .values({ id_hash: hash(id), user_id: userId, csrf_token: csrfToken, created_at: now, last_seen_at: now, expires_at: new Date(now.getTime() + ABSOLUTE_HOURS * 3_600_000) })
      .execute();
    return { id, csrfToken };
  }

  async resolve(id: string): Promise<SessionInfo | null> {
    if (!id || id.length > 100) return null;
    const idHash = hash(id);
    let s = this.cache.sessions.get(idHash);
    if (!s) {
      const ticket = this.cache.ticket();
      const row = await this.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select(['sessions.id_hash', 'sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at', 'users.id', 'users.name', 'users.role', 'users.active'])
        .where('sessions.id_hash', '=', idHash)
        .executeTakeFirst();
      if (!row || !row.active || !isRole(row.role)) return null;
      s = {
        idHash: row.id_hash,
        csrfToken: row.csrf_token,
        lastSeen: new Date(row.last_seen_at).getTime(),
        expires: new Date(row.expires_at).getTime(),
        actor: { id: row.id, name: row.name, role: row.role },
      };
      this.cache.rememberSession(idHash, s, ticket);
    }
    const now = this.clock().getTime();
    if (s.expires < now || s.lastSeen + IDLE_MINUTES * 60_000 < now) {
      await this.end(id);
      return null;
    }
    // Touch at most once a minute to keep writes down.
    if (now - s.lastSeen > 60_000) {
      await this.db.updateTable('sessions').set({ last_seen_at: new Date(now) }).where('id_hash', '=', s.idHash).execute();
      s.lastSeen = now;
    }
    return { actor: { ...s.actor }, csrfToken: s.csrfToken };
  }

  async end(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', hash(id)).execute();
    await this.cache.changed(this.db);
  }
}
