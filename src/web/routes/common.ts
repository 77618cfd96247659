/** Shared helpers for page routes. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { can } from '../../core/permissions.js';
import type { Actor } from '../../services/actor.js';

export interface NavItem {
  href: string;
  text: string;
  active?: boolean;
}

export function navigation(actor: Actor | null, currentPath: string): NavItem[] {
  if (!actor || actor.role === 'system' || actor.role === 'resident') return [];
  const items: NavItem[] = [];
  const role = actor.role;
  if (can(role, 'complaints:read')) items.push({ href: '/work', text: 'My work' });
  if (can(role, 'complaints:assign') && role === 'manager') items.push({ href: '/team', text: 'Team' });
  if (can(role, 'complaints:log')) items.push({ href: '/complaints/new', text: 'Log a complaint' });
  if (can(role, 'service-requests:write')) items.push({ href: '/service-requests/new', text: 'Log a service request' });
  if (can(role, 'actions:read')) items.push({ href: '/actions', text: 'Actions' });
  if (can(role, 'learning:read')) items.push({ href: '/learning', text: 'Learning' });
  if (can(role, 'ombudsman:read')) items.push({ href: '/ombudsman', text: 'Ombudsman' });
  if (can(role, 'complaints:read') || can(role, 'residents:read')) items.push({ href: '/search', text: 'Search' });
  if (can(role, 'self-assessments:read')) items.push({ href: '/self-assessments', text: 'Code compliance' });
  if (can(role, 'reports:read')) items.push({ href: '/reports', text: 'Reports' });
  if (can(role, 'settings:manage')) items.push({ href: '/settings', text: 'Settings' });
  return items.map((i) => ({ ...i, active: currentPath === i.href || currentPath.startsWith(`${i.href}/`) }));
}

/** Everything every page needs: the landlord's settings and the navigation. */
export async function pageContext(app: FastifyInstance, req: FastifyRequest, extra: Record<string, unknown> = {}) {
  const settings = await app.services.settings.get();
  return { __settings: settings, settings, navigation: navigation(req.actor, req.url.split('?')[0]), ...extra };
}

/** A form's fields, as strings (checkboxes may arrive as arrays). */
export function formBody(req: FastifyRequest): Record<string, any> {
  const b = (req.body ?? {}) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(b)) if (k !== '_csrf') out[k] = v;
  return out;
}

export function blankToNull(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t.length ? t : null;
}

/** A safe place to go after signing in: only a path on this site. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next;
}
