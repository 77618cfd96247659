/**
 * Browser tests' plumbing: find chromium (or say why the tests skip), start the app on a real
 * port over an in-memory database, and add staff who can sign in with a password.
 *
 * Browser tests SKIP when chromium is absent, unless PUTRIGHT_REQUIRE_BROWSER=1, when they fail.
 * Set CHROMIUM_PATH to use a chromium other than /usr/bin/chromium.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { backends } from '../../helpers/db.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { SYSTEM_ACTOR } from '../../../src/services/actor.js';
import type { Role } from '../../../src/core/permissions.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REQUIRED = process.env.PUTRIGHT_REQUIRE_BROWSER === '1';

function chromiumPresent(): boolean {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * For `describe(name, { skip: browserSkip() }, ...)`: a reason to skip when chromium is absent,
 * or false. With PUTRIGHT_REQUIRE_BROWSER=1 it is always false, so the tests run and fail.
 */
export function browserSkip(): string | false {
  if (REQUIRED || chromiumPresent()) return false;
  return `chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or PUTRIGHT_REQUIRE_BROWSER=1 to fail instead of skipping)`;
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPresent()) {
    throw new Error(`PUTRIGHT_REQUIRE_BROWSER=1 but chromium is not at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface Served {
  t: TestApp;
  baseURL: string;
  close(): Promise<void>;
}

/** The app on 127.0.0.1 and a free port, over PGlite in memory, its clock at `startAt`. */
export async function serve(startAt = '2025-04-17T09:00:00Z'): Promise<Served> {
  const pglite = backends().find((b) => b.name === 'pglite')!;
  const t = await startTestApp(await pglite.open(), startAt);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, baseURL: `http://127.0.0.1:${port}`, close: () => t.close() };
}

export interface Person {
  id: string;
  email: string;
  name: string;
  role: Role;
  password: string;
}

/** A member of staff who signs in with a password. */
export async function addPerson(t: TestApp, email: string, name: string, role: Role): Promise<Person> {
  const password = `${role} long enough password`;
  const u = await t.app.services.users.create(SYSTEM_ACTOR, { email, name, role, password });
  return { id: u.id, email, name, role, password };
}

/** A fresh context (its own cookies) on the app, with sensible defaults. */
export async function newContext(browser: Browser, baseURL: string, opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London', ...opts });
  ctx.setDefaultTimeout(10_000);
  ctx.setDefaultNavigationTimeout(15_000);
  return ctx;
}

/**
 * Collect what went wrong in the page: uncaught script errors, console errors (CSP violations
 * show there), and sub-resources (styles, scripts, images) that failed to load. Pages answered
 * with 4xx on purpose (a form's errors, not found) are not counted.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.request().isNavigationRequest()) errors.push(`${r.request().method()} ${new URL(r.url()).pathname}: ${r.status()}`);
  });
  page.on('requestfailed', (r) => errors.push(`${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`));
  return errors;
}
