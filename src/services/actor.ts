import { can, type Permission, type Role } from '../core/permissions.js';
import { Forbidden } from './errors.js';

/** Who is doing something: a signed-in member of staff, an integration's token, or the system. */
export interface Actor {
  id: string | null;
  name: string;
  role: Role | 'system' | 'resident';
}

export const SYSTEM_ACTOR: Actor = { id: null, name: 'Putright (automatic)', role: 'system' };

export function requirePermission(actor: Actor, permission: Permission): void {
  if (actor.role === 'system') return;
  if (actor.role === 'resident' || !can(actor.role, permission)) throw new Forbidden();
}

export function actorCan(actor: Actor, permission: Permission): boolean {
  if (actor.role === 'system') return true;
  if (actor.role === 'resident') return false;
  return can(actor.role, permission);
}
