/**
 * Who a bearer token or a session cookie belongs to, remembered for a few seconds so that an API
 * request or a page does not ask the database again on every request (issue 9: it was one of two
 * queries behind every JSON worklist).
 *
 * Safety, with several instances on one PostgreSQL:
 * - only what the database confirmed is remembered (a valid, active account); a refusal is never
 *   remembered, so a new token or session works at once;
 * - every change that can end or narrow someone's access (sign-out, an expired session, a role
 *   change, deactivation) clears this instance's cache after it commits and is announced with
 *   NOTIFY on `putright_auth`; every instance listening clears its cache at once;
 * - without the listener (it reconnects after a lost connection and clears the cache when it
 *   does), an entry is trusted for at most `AUTH_CACHE_MS` (5 seconds) after it was read: the
 *   stated bound on how long another instance may still accept a signed-out session or a
 *   deactivated account's token;
 * - a read that started before a clear cannot put its (older) answer back afterwards (generation
 *   check), so a clear is never undone by a request that was in flight.
 * Session expiry (idle and absolute) is still checked on every request against the stored times.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';

/** What is kept of a valid session: enough to check its expiry and touch it without a read. */
export interface CachedSession {
  idHash: string;
  csrfToken: string;
  lastSeen: number;
  expires: number;
  actor: Actor;
}

export const AUTH_CHANNEL = 'putright_auth';
/** How long an instance may trust what it read without hearing of a change. */
export const AUTH_CACHE_MS = 5_000;
/** Entries kept at most, per kind: the oldest goes first (bounded memory whatever the traffic). */
export const AUTH_CACHE_MAX = 10_000;

class BoundedTtlMap<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const age = this.now() - e.at;
    if (age < 0 || age >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, at: number) {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { at, value });
  }

  delete(key: string) {
    this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
  }

  get size() {
    return this.entries.size;
  }
}

export interface AuthCacheOptions {
  /** How long an entry is trusted (ms); 0 turns the cache off. Default AUTH_CACHE_MS. */
  ttlMs?: number;
  max?: number;
  /** A monotonic clock in ms (tests); default performance.now. Not the business clock. */
  now?: () => number;
}

export class AuthCache {
  readonly ttlMs: number;
  private readonly now: () => number;
  private generation = 0;
  readonly tokens: BoundedTtlMap<Actor>;
  readonly sessions: BoundedTtlMap<CachedSession>;

  constructor(opts: AuthCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? AUTH_CACHE_MS;
    this.now = opts.now ?? (() => performance.now());
    const max = opts.max ?? AUTH_CACHE_MAX;
    this.tokens = new BoundedTtlMap<Actor>(this.ttlMs, max, this.now);
    this.sessions = new BoundedTtlMap<CachedSession>(this.ttlMs, max, this.now);
  }

  /** Take before reading the database; pass to `remember*` so a clear in between wins. */
  ticket(): { generation: number; at: number } {
    return { generation: this.generation, at: this.now() };
  }

  rememberToken(key: string, value: Actor, ticket: { generation: number; at: number }) {
    if (ticket.generation === this.generation) this.tokens.set(key, value, ticket.at);
  }

  rememberSession(key: string, value: CachedSession, ticket: { generation: number; at: number }) {
    if (ticket.generation === this.generation) this.sessions.set(key, value, ticket.at);
  }

  /** Forget everything (a change here, or announced by another instance). */
  clear() {
    this.generation++;
    this.tokens.clear();
    this.sessions.clear();
  }

  /**
   * After a committed change to who may do what: forget here, then tell the other instances.
   * Never fails the change (their caches expire on their own within `ttlMs`).
   */
  async changed(db: Db): Promise<void> {
    this.clear();
    try {
      await sql`select pg_notify(${AUTH_CHANNEL}, '')`.execute(db);
    } catch {
      /* the other instances' entries expire within ttlMs */
    }
  }
}
