/** A test app over a real database, with a movable clock and a user of every role. */
import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../../src/db/database.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import type { Role } from '../../src/core/permissions.js';

export class TestClock {
  private t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  set(iso: string) {
    this.t = Date.parse(iso);
  }
  now = () => new Date(this.t);
}

export interface TestUser {
  id: string;
  token: string;
  name: string;
  role: Role;
}

export interface TestApp {
  app: FastifyInstance;
  clock: TestClock;
  users: Record<'admin' | 'manager' | 'handler' | 'handler2' | 'staff' | 'governance', TestUser>;
  call(method: string, url: string, opts?: { as?: TestUser | null; body?: unknown; headers?: Record<string, string>; payload?: string }): Promise<{ status: number; body: any; headers: Record<string, any> }>;
  close(): Promise<void>;
}

export async function startTestApp(db: DatabaseHandle, startAt = '2025-04-17T10:00:00Z', more: Omit<AppOptions, 'database' | 'clock'> = {}): Promise<TestApp> {
  const clock = new TestClock(startAt);
  const app = await buildApp({ ...more, database: db, clock: clock.now });
  await app.ready();
  const make = async (email: string, name: string, role: Role): Promise<TestUser> => {
    const u = await app.services.users.create(SYSTEM_ACTOR, { email, name, role });
    const { token } = await app.services.users.createToken(SYSTEM_ACTOR, u.id, 'test');
    return { id: u.id, token, name, role };
  };
  const users = {
    admin: await make('admin@test.example', 'Ada Admin', 'admin'),
    manager: await make('manager@test.example', 'Mo Manager', 'manager'),
    handler: await make('handler@test.example', 'Hana Handler', 'handler'),
    handler2: await make('handler2@test.example', 'Hugo Handler', 'handler'),
    staff: await make('staff@test.example', 'Sam Staff', 'staff'),
    governance: await make('board@test.example', 'Bea Board', 'governance'),
  };
  return {
    app,
    clock,
    users,
    async call(method, url, opts = {}) {
      const as = opts.as === undefined ? users.manager : opts.as;
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (as) headers.authorization = `Bearer ${as.token}`;
      const res = await app.inject({
        method: method as any,
        url,
        headers,
        ...(opts.payload !== undefined ? { payload: opts.payload } : opts.body !== undefined ? { payload: opts.body as any } : {}),
      });
      let body: any = res.body;
      try {
        body = res.json();
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body, headers: res.headers };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
