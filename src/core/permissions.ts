/** Roles and what each may do. Every route names one of these permissions (or 'public'). */
export const ROLES = ['handler', 'manager', 'staff', 'governance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  handler: 'Complaint handler',
  manager: 'Complaints manager',
  staff: 'Other staff',
  governance: 'Governance (senior lead, MRC, board)',
  admin: 'Administrator',
};

export const PERMISSIONS = {
  'complaints:read': ['handler', 'manager', 'governance', 'admin'],
  'complaints:log': ['handler', 'manager', 'staff', 'admin'],
  'complaints:handle': ['handler', 'manager'],
  'complaints:assign': ['handler', 'manager'],
  'notes:restricted': ['manager'],
  'residents:read': ['handler', 'manager', 'staff', 'admin'],
  'residents:write': ['handler', 'manager', 'staff'],
  'service-requests:read': ['handler', 'manager', 'staff', 'admin'],
  'service-requests:write': ['handler', 'manager', 'staff'],
  'reports:read': ['manager', 'governance', 'admin'],
  'settings:read': ['handler', 'manager', 'staff', 'governance', 'admin'],
  'settings:manage': ['admin'],
  'users:manage': ['admin'],
  'users:read': ['handler', 'manager', 'admin'],
  /** A case's remedies and outstanding actions, and the approvals queue. */
  'remedies:read': ['handler', 'manager', 'governance', 'admin'],
  /** Record remedies and actions on a case and their progress: offer, answer, payment, completion. */
  'remedies:write': ['handler', 'manager'],
  /** Approve a financial offer above the proposer's limit (within the approver's own limit). */
  'remedies:approve': ['manager', 'governance'],
  /** The actions list: everyone sees actions they or their team own; those who read complaints see all. */
  'actions:read': ['handler', 'manager', 'staff', 'governance', 'admin'],
  /** Record progress on an action (updates to the resident, done): staff only on actions they or their team own. */
  'actions:update': ['handler', 'manager', 'staff'],
  /** Letters sent on a case, and the letter templates' wording. */
  'letters:read': ['handler', 'manager', 'governance', 'admin'],
  /** Render and send a letter on a case (email through the outbox, or post). */
  'letters:send': ['handler', 'manager'],
  /** Edit the wording of the letter templates (required elements are always kept). */
  'letter-templates:manage': ['manager', 'admin'],
  /** The email outbox: what was sent, what is waiting, what failed; retry a failed email. */
  'outbox:read': ['manager', 'admin'],
  'outbox:manage': ['manager', 'admin'],
  // selfassess
  /** Self-assessments against the Code, the annual report (unpublished) and exceptional circumstances notices. */
  'self-assessments:read': ['manager', 'governance', 'admin'],
  /** Start, fill in, import and complete a self-assessment (Code 8.3). */
  'self-assessments:write': ['manager', 'governance'],
  'annual-reports:read': ['manager', 'governance', 'admin'],
  /** Write the annual report's text, upload the Ombudsman's reports, record the governing body's response. */
  'annual-reports:write': ['manager', 'governance'],
  /** Publish the annual report on the public site (Code 8.2). */
  'annual-reports:publish': ['manager'],
  /** Record and publish an exceptional circumstances notice (Code 8.5). */
  'exceptional-notices:manage': ['manager'],
  /** Report settings: home counts per year, which CH02 figure is submitted, survey imports for TP09. */
  'reports:manage': ['manager', 'admin'],
  /** Export every complaint's data (CSV and XLSX), so the landlord is never locked in. */
  'data:export': ['manager', 'admin'],
  /** The learning register and its themes (remedies branch). */
  'learning:read': ['handler', 'manager', 'governance', 'admin'],
  /** Record learning: root cause, what went wrong, the service area's response, the improvement. */
  'learning:write': ['handler', 'manager', 'governance'],
  /** Mark learning publishable as "you said, we did". */
  'learning:publish': ['manager', 'governance'],
  /** Ombudsman cases: requests for information, determinations, orders, the open-orders view. */
  'ombudsman:read': ['handler', 'manager', 'governance', 'admin'],
  'ombudsman:write': ['handler', 'manager'],
  /** Record that a severe maladministration finding went to the member responsible for complaints. */
  'ombudsman:mrc': ['manager', 'governance'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;
/** What a route requires: a permission, any signed-in user, or nothing. */
export type RouteAccess = Permission | 'authenticated' | 'public';

export function can(role: string, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(role);
}

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}
