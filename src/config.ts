/**
 * Typed configuration from environment variables, checked once at start-up. In production a
 * missing required value stops the process with a message naming it.
 */
import path from 'node:path';
import { z } from 'zod';
import type { OidcConfig } from './services/oidc.js';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().optional(),
  DATABASE_URL: z.string().url().optional(),
  PUTRIGHT_DATA_DIR: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Named (prepared) statements on PostgreSQL; false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode). */
  DATABASE_PREPARED_STATEMENTS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUTRIGHT_ADMIN_EMAIL: z.string().email().optional(),
  PUTRIGHT_ADMIN_PASSWORD: z.string().min(12).optional(),
  PUTRIGHT_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  PUTRIGHT_TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  PUTRIGHT_OIDC_ISSUER: z.string().url().optional(),
  PUTRIGHT_OIDC_CLIENT_ID: z.string().max(500).optional(),
  PUTRIGHT_OIDC_CLIENT_SECRET: z.string().max(2000).optional(),
  PUTRIGHT_OIDC_REDIRECT_URL: z.string().url().optional(),
  PUTRIGHT_OIDC_LABEL: z.string().max(60).optional(),
  PUTRIGHT_SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//i.test(u), 'must be an smtp:// or smtps:// URL, e.g. smtps://user:password@smtp.example.org:465')
    .optional(),
  PUTRIGHT_SMTP_FROM: z.string().max(320).optional(),
  PUTRIGHT_OUTBOX_DIR: z.string().min(1).optional(),
  /** smtp: send through PUTRIGHT_SMTP_URL; eml: write .eml files to PUTRIGHT_OUTBOX_DIR (development, or a deliberate choice in production). */
  PUTRIGHT_MAIL_MODE: z.enum(['smtp', 'eml']).optional(),
  PUTRIGHT_OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  PUTRIGHT_INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PUTRIGHT_INBOUND_SMTP_HOST: z.string().min(1).optional(),
  PUTRIGHT_RETENTION_SWEEP_MINUTES: z.coerce.number().int().min(0).max(10_080).default(1440),
  PUTRIGHT_PUBLIC_URL: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL').optional(),
  /** How often the reminder sweep runs, in seconds; 0 turns it off (another instance may run it). */
  PUTRIGHT_REMINDER_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  database: { kind: 'postgres'; url: string; poolSize: number; preparedStatements: boolean } | { kind: 'pglite'; dataDir: string | null };
  logLevel: string;
  bootstrapAdmin: { email: string; password: string | null };
  bodyLimit: number;
  trustProxy: boolean;
  /** Single sign-on through OpenID Connect; null when not configured. */
  oidc: OidcConfig | null;
  /** Outgoing email: SMTP when a URL is set, otherwise .eml files in outboxDir (development). */
  mail: { mode: 'smtp' | 'eml'; smtpUrl: string | null; from: string | null; outboxDir: string; maxAttempts: number };
  /** Inbound email: the SMTP endpoint that files replies on cases; null when off. */
  inboundSmtp: { host: string; port: number } | null;
  /** How often each instance runs the retention sweep, in minutes; 0 turns it off. */
  retentionSweepMinutes: number;
  /** The address residents use, for links in emails (e.g. https://complaints.example.org.uk). */
  publicUrl: string | null;
  /** Reminders: the sweep's interval in seconds; 0 when off. */
  reminders: { intervalSeconds: number };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as most deployment tools write them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  if (production && e.PORT === undefined) missing.push('PORT (the port to listen on)');
  if (production && !e.DATABASE_URL && !e.PUTRIGHT_DATA_DIR) {
    missing.push('DATABASE_URL (PostgreSQL) or PUTRIGHT_DATA_DIR (the embedded database directory)');
  }
  if (e.PUTRIGHT_MAIL_MODE === 'smtp' && !e.PUTRIGHT_SMTP_URL) missing.push('PUTRIGHT_SMTP_URL (the mail server, e.g. smtps://user:password@smtp.example.org:465), as PUTRIGHT_MAIL_MODE is smtp');
  else if (production && !e.PUTRIGHT_SMTP_URL && e.PUTRIGHT_MAIL_MODE !== 'eml') {
    missing.push('PUTRIGHT_SMTP_URL (the mail server letters are sent through), or PUTRIGHT_MAIL_MODE=eml to write email as .eml files to PUTRIGHT_OUTBOX_DIR instead: without one of them, no letter would reach a resident');
  }
  if (missing.length > 0) throw new ConfigError(`Missing required configuration${production ? ' in production' : ''}:\n  ${missing.join('\n  ')}`);
  const oidc = oidcConfig(e);

  return {
    env: e.NODE_ENV,
    port: e.PORT ?? 3000,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, preparedStatements: e.DATABASE_PREPARED_STATEMENTS }
      : { kind: 'pglite', dataDir: path.resolve(e.PUTRIGHT_DATA_DIR ?? 'data') },
    logLevel: e.LOG_LEVEL,
    bootstrapAdmin: { email: e.PUTRIGHT_ADMIN_EMAIL ?? 'admin@putright.local', password: e.PUTRIGHT_ADMIN_PASSWORD ?? null },
    bodyLimit: e.PUTRIGHT_BODY_LIMIT_BYTES,
    trustProxy: e.PUTRIGHT_TRUST_PROXY,
    oidc,
    mail: {
      mode: e.PUTRIGHT_MAIL_MODE ?? (e.PUTRIGHT_SMTP_URL ? 'smtp' : 'eml'),
      smtpUrl: e.PUTRIGHT_MAIL_MODE === 'eml' ? null : (e.PUTRIGHT_SMTP_URL ?? null),
      from: e.PUTRIGHT_SMTP_FROM ?? null,
      outboxDir: path.resolve(e.PUTRIGHT_OUTBOX_DIR ?? path.join('data', 'outbox')),
      maxAttempts: e.PUTRIGHT_OUTBOX_MAX_ATTEMPTS,
    },
    inboundSmtp: e.PUTRIGHT_INBOUND_SMTP_PORT === undefined ? null : { host: e.PUTRIGHT_INBOUND_SMTP_HOST ?? '127.0.0.1', port: e.PUTRIGHT_INBOUND_SMTP_PORT },
    retentionSweepMinutes: e.PUTRIGHT_RETENTION_SWEEP_MINUTES,
    publicUrl: e.PUTRIGHT_PUBLIC_URL ? e.PUTRIGHT_PUBLIC_URL.replace(/\/+$/, '') : null,
    reminders: { intervalSeconds: e.PUTRIGHT_REMINDER_INTERVAL_SECONDS },
  };
}

const isLoopback = (u: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);

/** Single sign-on is on when PUTRIGHT_OIDC_ISSUER is set; it then needs a client id and a redirect URL. */
function oidcConfig(e: z.infer<typeof schema>): OidcConfig | null {
  const any = e.PUTRIGHT_OIDC_ISSUER || e.PUTRIGHT_OIDC_CLIENT_ID || e.PUTRIGHT_OIDC_CLIENT_SECRET || e.PUTRIGHT_OIDC_REDIRECT_URL || e.PUTRIGHT_OIDC_LABEL;
  if (!any) return null;
  const problems: string[] = [];
  if (!e.PUTRIGHT_OIDC_ISSUER) problems.push('PUTRIGHT_OIDC_ISSUER (the identity provider’s issuer URL) is required when any PUTRIGHT_OIDC_ variable is set');
  if (!e.PUTRIGHT_OIDC_CLIENT_ID) problems.push('PUTRIGHT_OIDC_CLIENT_ID (the application’s client id at the identity provider) is required for single sign-on');
  if (!e.PUTRIGHT_OIDC_REDIRECT_URL) problems.push('PUTRIGHT_OIDC_REDIRECT_URL (https://<this service>/sign-in/sso/callback) is required for single sign-on');
  for (const [name, value] of [['PUTRIGHT_OIDC_ISSUER', e.PUTRIGHT_OIDC_ISSUER], ['PUTRIGHT_OIDC_REDIRECT_URL', e.PUTRIGHT_OIDC_REDIRECT_URL]] as const) {
    if (!value) continue;
    const u = new URL(value);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u))) problems.push(`${name}: must be an https:// URL`);
  }
  if (e.PUTRIGHT_OIDC_REDIRECT_URL && new URL(e.PUTRIGHT_OIDC_REDIRECT_URL).pathname !== '/sign-in/sso/callback') {
    problems.push('PUTRIGHT_OIDC_REDIRECT_URL: its path must be /sign-in/sso/callback');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid single sign-on configuration:\n  ${problems.join('\n  ')}`);
  return {
    issuer: e.PUTRIGHT_OIDC_ISSUER!,
    clientId: e.PUTRIGHT_OIDC_CLIENT_ID!,
    clientSecret: e.PUTRIGHT_OIDC_CLIENT_SECRET ?? null,
    redirectUrl: e.PUTRIGHT_OIDC_REDIRECT_URL!,
    label: e.PUTRIGHT_OIDC_LABEL ?? 'your work account',
  };
}
