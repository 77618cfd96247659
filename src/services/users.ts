/** Staff accounts, passwords (argon2id) and API tokens for integrations. */
import crypto from 'node:crypto';
import argon2 from 'argon2';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { isRole, type Role } from '../core/permissions.js';
import type { Actor } from './actor.js';
import { AuthCache } from './auth-cache.js';
import { requirePermission } from './actor.js';
import { InvalidInput, NotFound } from './errors.js';
import { recordHistory } from './history.js';
import { Kept } from './kept.js';

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  team?: string | null;
  password?: string | null;
}

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: string;
  team: string | null;
  active: boolean;
}

const MAX_FAILED_LOGINS = 5;
const LOCKOUT_MINUTES = 15;

function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export class UserService {
  constructor(
    private readonly db: Db,
    /** Shared with SessionService (see auth-cache.ts); off unless given. */
    private readonly authCache: AuthCache = new AuthCache({ ttlMs: 0 }),
  ) {}

  async create(actor: Actor, input: NewUser): Promise<UserView> {
    requirePermission(actor, 'users:manage');
    if (!isRole(input.role)) throw new InvalidInput(`Unknown role ${input.role}.`, 'role');
    const email = input.email.trim().toLowerCase();
    const existing = await this.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (existing) throw new InvalidInput('A user with this email address already exists.', 'email');
    const password_hash = input.password ? await argon2.hash(input.password, { type: argon2.argon2id }) : null;
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('users')
        .values({ email, name: input.name.trim(), role: input.role, team: input.team ?? null, password_hash })
        .returning(['id', 'email', 'name', 'role', 'team', 'active'])
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'user', entityId: row.id, action: 'user_created', after: { email, name: row.name, role: row.role, team: row.team } });
      return row;
    });
  }

  async list(): Promise<UserView[]> {
    return this.db.selectFrom('users').select(['id', 'email', 'name', 'role', 'team', 'active']).orderBy('name').execute();
  }

  async get(id: string): Promise<UserView> {
    const u = await this.db.selectFrom('users').select(['id', 'email', 'name', 'role', 'team', 'active']).where('id', '=', id).executeTakeFirst();
    if (!u) throw new NotFound('The user');
    return u;
  }

  private readonly nameCache = new Kept<Map<string, string>>(10_000);
  private readonly caseworkerCache = new Kept<{ id: string; name: string; team: string | null }[]>(10_000);

  /**
   * The active handlers and managers (who can hold complaints), by name, cached for a few seconds
   * like `names`: for choosing among them in filters, where a stale list only shows.
   */
  async caseworkers(): Promise<{ id: string; name: string; team: string | null }[]> {
    return this.caseworkerCache.get('', () => this.db.selectFrom('users').select(['id', 'name', 'team']).where('active', '=', true).where('role', 'in', ['handler', 'manager']).orderBy('name').orderBy('id').execute());
  }

  /**
   * Every member of staff's name by id, cached for a few seconds (names rarely change; a stale one
   * only shows). Read through `db` when they must be read: inside a transaction, its own (the
   * embedded database has one connection, which the transaction holds).
   */
  async names(fresh = false, db: Db = this.db): Promise<Map<string, string>> {
    return this.nameCache.get('', async () => new Map((await db.selectFrom('users').select(['id', 'name']).execute()).map((r) => [r.id, r.name])), undefined, fresh);
  }

  /**
   * The names of these members of staff, from the names kept for a few seconds; read afresh when
   * one is not among them (someone added since), so a name is never missing, at most seconds old.
   */
  async namesOf(ids: Iterable<string | null>, db: Db = this.db): Promise<Map<string, string>> {
    const names = await this.names(false, db);
    for (const id of ids) if (id && !names.has(id)) return this.names(true, db);
    return names;
  }

  /** Check an email and password, with lockout after repeated failures. */
  async verifyPassword(email: string, password: string): Promise<{ ok: true; actor: Actor } | { ok: false; locked: boolean }> {
    const u = await this.db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    if (!u || !u.active || !u.password_hash) {
      // Spend the same effort as a real check so timing does not reveal which emails exist.
      await argon2.hash(password).catch(() => undefined);
      return { ok: false, locked: false };
    }
    if (u.locked_until && new Date(u.locked_until).getTime() > Date.now()) return { ok: false, locked: true };
    const good = await argon2.verify(u.password_hash, password).catch(() => false);
    if (!good) {
      const failed = u.failed_logins + 1;
      const lock = failed >= MAX_FAILED_LOGINS;
      await this.db
        .updateTable('users')
        .set({ failed_logins: lock ? 0 : failed, locked_until: lock ? new Date(Date.now() + LOCKOUT_MINUTES * 60_000) : null })
        .where('id', '=', u.id)
        .execute();
      return { ok: false, locked: lock };
    }
    if (u.failed_logins > 0 || u.locked_until) {
      await this.db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', u.id).execute();
    }
    return { ok: true, actor: { id: u.id, name: u.name, role: u.role as Role } };
  }

  /** Issue an API token for a user. The token is shown once; only its hash is kept. */
  async createToken(actor: Actor, userId: string, name: string): Promise<{ id: string; token: string }> {
    requirePermission(actor, 'users:manage');
    await this.get(userId);
    return this.issue(actor, userId, name);
  }

  /** A signed-in member of staff issues a token for themselves. */
  async issueOwnToken(actor: Actor, name: string): Promise<{ id: string; token: string }> {
    if (!actor.id) throw new InvalidInput('Only a member of staff can hold a token.');
    return this.issue(actor, actor.id, name);
  }

  private async issue(actor: Actor, userId: string, name: string): Promise<{ id: string; token: string }> {
    const token = `pr_${crypto.randomBytes(24).toString('base64url')}`;
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('api_tokens').values({ user_id: userId, name, token_hash: hashToken(token) }).returning('id').executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'api_token', entityId: row.id, action: 'api_token_created', after: { userId, name } });
      return { id: row.id, token };
    });
  }

  async actorForToken(token: string): Promise<Actor | null> {
    const key = hashToken(token);
    const cached = this.authCache.tokens.get(key);
    if (cached) return { ...cached };
    const ticket = this.authCache.ticket();
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['users.id', 'users.name', 'users.role', 'users.active'])
      .where('api_tokens.token_hash', '=', key)
      .where('api_tokens.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row || !row.active || !isRole(row.role)) return null;
    const actor: Actor = { id: row.id, name: row.name, role: row.role };
    this.authCache.rememberToken(key, actor, ticket);
    return { ...actor };
  }

  /** On first start, make sure an administrator exists. Returns the password if one was generated. */
  async ensureAdmin(email: string, password: string | null): Promise<string | null> {
    const any = await this.db.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst();
    if (any) return null;
    const pw = password ?? crypto.randomBytes(12).toString('base64url');
    const hash = await argon2.hash(pw, { type: argon2.argon2id });
    const created = await this.db.transaction().execute(async (trx) => {
      // Several instances may start at once on a new database: one creates the administrator.
      await sql`select pg_advisory_xact_lock(hashtext('putright:ensure-admin'))`.execute(trx);
      if (await trx.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst()) return false;
      const row = await trx.insertInto('users').values({ email, name: 'Administrator', role: 'admin', password_hash: hash, team: null }).returning('id').executeTakeFirstOrThrow();
      await recordHistory(trx, { id: null, name: 'Putright (automatic)', role: 'system' }, { entity: 'user', entityId: row.id, action: 'user_created', after: { email, role: 'admin' } });
      return true;
    });
    return created && !password ? pw : null;
  }

  // ------------------------------------------------------------------ roles, deactivation, single sign-on

  /** Change a member of staff's role. There must always be an active administrator left. */
  async updateRole(actor: Actor, id: string, role: Role): Promise<UserView> {
    requirePermission(actor, 'users:manage');
    if (!isRole(role)) throw new InvalidInput(`Unknown role ${role}.`, 'role');
    const view = await this.db.transaction().execute(async (trx) => {
      const before = await this.lockUser(trx, id);
      if (before.role === role) return this.view(before);
      if (before.role === 'admin' && before.active) await this.requireAnotherAdmin(trx, id, 'role');
      const row = await trx
        .updateTable('users')
        .set((eb) => ({ role, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .returning(['id', 'email', 'name', 'role', 'team', 'active'])
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'user', entityId: id, action: 'user_role_changed', before: { role: before.role }, after: { role } });
      return row;
    });
    // After the commit: this instance forgets cached tokens and sessions, the others are told.
    await this.authCache.changed(this.db);
    return view;
  }

  /**
   * Deactivate or reactivate an account. A deactivated account cannot sign in (by password or
   * single sign-on) and its API tokens stop working; its open sessions end at once.
   */
  async setActive(actor: Actor, id: string, active: boolean): Promise<UserView> {
    requirePermission(actor, 'users:manage');
    const view = await this.db.transaction().execute(async (trx) => {
      const before = await this.lockUser(trx, id);
      if (before.active === active) return this.view(before);
      if (!active && actor.id === id) throw new InvalidInput('You cannot deactivate your own account. Ask another administrator.', 'active');
      if (!active && before.role === 'admin') await this.requireAnotherAdmin(trx, id, 'active');
      const row = await trx
        .updateTable('users')
        .set((eb) => ({ active, failed_logins: 0, locked_until: null, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .returning(['id', 'email', 'name', 'role', 'team', 'active'])
        .executeTakeFirstOrThrow();
      if (!active) await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
      await recordHistory(trx, actor, { entity: 'user', entityId: id, action: active ? 'user_reactivated' : 'user_deactivated', before: { active: before.active }, after: { active } });
      return row;
    });
    // After the commit: this instance forgets cached tokens and sessions, the others are told.
    await this.authCache.changed(this.db);
    return view;
  }

  /** The active member of staff with this email address (for single sign-on), or null. */
  async findActiveByEmail(email: string): Promise<Actor | null> {
    const u = await this.db.selectFrom('users').select(['id', 'name', 'role', 'active']).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    if (!u || !u.active || !isRole(u.role)) return null;
    return { id: u.id, name: u.name, role: u.role };
  }

  /**
   * What is wrong with a proposed password, following NCSC guidance: long enough (12 characters
   * or more), not one of the passwords most often used, not the email address; no composition
   * rules. Null when it is acceptable.
   */
  passwordProblem(password: string, email?: string | null): string | null {
    if (password.length < 12) return 'The password must be 12 characters or more';
    if (password.length > 256) return 'The password must be 256 characters or fewer';
    const folded = password.trim().toLowerCase();
    if (UserService.COMMON_PASSWORDS.has(folded)) return 'This password is one of the most commonly used passwords. Choose a different one, such as three random words';
    if (/^(.)\1+$/.test(folded)) return 'The password must not be one character repeated. Choose a different one, such as three random words';
    if (email && folded === email.trim().toLowerCase()) return 'The password must not be the email address';
    return null;
  }

  /** Twenty of the commonest passwords of 12 characters or more in breached-password lists (compared case-insensitively). */
  private static readonly COMMON_PASSWORDS = new Set([
    '123456789012',
    'password1234',
    'qwertyuiop12',
    'qwerty123456',
    '123456qwerty',
    '1q2w3e4r5t6y',
    '1qaz2wsx3edc',
    'qwertyuiop123',
    'password123456',
    'passwordpassword',
    '1234567890123',
    '12345678901234',
    'abc123456789',
    'qwertyuiopasdfghjkl',
    'qwertyuiopasdfghjklzxcvbnm',
    'iloveyou1234',
    'q1w2e3r4t5y6',
    'zaq12wsxcde3',
    '1qaz2wsx3edc4rfv',
    'administrator',
  ]);

  private async lockUser(trx: Db, id: string) {
    const u = await trx.selectFrom('users').select(['id', 'email', 'name', 'role', 'team', 'active']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!u) throw new NotFound('The user');
    return u;
  }

  private view(u: UserView): UserView {
    return { id: u.id, email: u.email, name: u.name, role: u.role, team: u.team, active: u.active };
  }

  /** Refuse a change that would leave no active administrator (administrators are locked first). */
  private async requireAnotherAdmin(trx: Db, id: string, field: string): Promise<void> {
    const admins = await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('active', '=', true).forUpdate().execute();
    if (!admins.some((a) => a.id !== id)) throw new InvalidInput('There must always be at least one active administrator. Make someone else an administrator first.', field);
  }
}
