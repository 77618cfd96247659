/** Start Putright: configuration, database (embedded PGlite or PostgreSQL), migrations, HTTP. */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { DataDirectoryLocked, migrate, openEmbedded, openPostgres, type DatabaseHandle } from './db/database.js';
import { buildApp, logRedact, logSerializers } from './http/app.js';
import { fileMailer, OutboxWorker, smtpMailer } from './services/outbox.js';
import { startInboundSmtp } from './services/inbound.js';
import { RetentionSweeper } from './services/data-protection/retention.js';
import { SYSTEM_ACTOR } from './services/actor.js';
import { ReminderSweeper } from './services/reminders.js';
import { listenForChanges, SETTINGS_CHANNEL } from './services/cluster.js';
import { AUTH_CHANNEL } from './services/auth-cache.js';
import { reportGate } from './services/report-gate.js';
import { StageDayCompactor } from './services/stage-day-counts.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, serializers: logSerializers, redact: logRedact });
  let database: DatabaseHandle;
  try {
    database = config.database.kind === 'postgres' ? openPostgres(config.database.url, config.database.poolSize, { preparedStatements: config.database.preparedStatements }) : await openEmbedded(config.database.dataDir);
  } catch (err) {
    if (err instanceof DataDirectoryLocked) {
      log.fatal(err.message);
      process.exit(75);
    }
    throw err;
  }
  await migrate(database.db);
  log.info({ database: database.kind, dataDir: config.database.kind === 'pglite' ? config.database.dataDir : undefined }, 'database ready');

  // In production the service is behind TLS: session cookies are Secure (HSTS is sent on https requests).
  const app = await buildApp({ database, logger: log, bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, oidc: config.oidc, secureCookies: config.env === 'production', publicUrl: config.publicUrl });
  const generated = await app.services.users.ensureAdmin(config.bootstrapAdmin.email, config.bootstrapAdmin.password);
  if (generated) {
    // Shown once, on the console only, so the first administrator can sign in.
    process.stdout.write(`\nFirst administrator created: ${config.bootstrapAdmin.email}\nPassword (shown once): ${generated}\n\n`);
  }

  // Outgoing email: the outbox worker sends what committed transactions queued (letters).
  const mailer = config.mail.mode === 'smtp' && config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl) : fileMailer(config.mail.outboxDir);
  if (!config.publicUrl && config.env === 'production') {
    log.warn('PUTRIGHT_PUBLIC_URL is not set: links emailed to residents use the address each request names');
  }
  if (mailer.kind === 'file' && config.env === 'production') {
    log.warn({ outboxDir: config.mail.outboxDir }, 'PUTRIGHT_MAIL_MODE=eml: email is written to .eml files and does not reach residents by itself');
  }
  (app as any).mailInfo = { mode: mailer.kind === 'file' ? 'eml' : 'smtp', describe: mailer.describe };
  const outbox = new OutboxWorker(database.db, {
    mailer,
    maxAttempts: config.mail.maxAttempts,
    log,
    from: async () => {
      if (config.mail.from) return config.mail.from;
      const { landlord, mail } = await app.services.settings.get();
      return `"${(mail.fromName || landlord.name).replace(/["\\\r\n]/g, '')}" <${mail.fromAddress || landlord.complaintsEmail}>`;
    },
  });
  outbox.start();
  // Other instances' settings changes, sign-outs, role changes and deactivations drop this
  // instance's caches at once (see services/cluster.ts and services/auth-cache.ts).
  const listener =
    config.database.kind === 'postgres'
      ? listenForChanges(config.database.url, { [SETTINGS_CHANNEL]: () => app.services.settings.invalidate(), [AUTH_CHANNEL]: () => app.services.authCache.clear() }, log)
      : null;
  log.info({ mail: mailer.describe }, 'outbox worker started');
  // Reminders: a sweep on a timer; each reminder is claimed once however many instances run it.
  const reminders = config.reminders.intervalSeconds > 0
    ? new ReminderSweeper(app.services.reminders, { intervalMs: config.reminders.intervalSeconds * 1000, log, onSent: () => outbox.wake() })
    : null;
  reminders?.start();
  if (reminders) log.info({ intervalSeconds: config.reminders.intervalSeconds }, 'reminder sweep started');
  // Inbound email: replies filed on their case by the reference in the subject.
  const inbound = config.inboundSmtp ? await startInboundSmtp(app.services.inbound, { ...config.inboundSmtp, log }) : null;
  if (inbound) log.info({ host: config.inboundSmtp!.host, port: inbound.port }, 'inbound email: SMTP endpoint listening');
  // Retention: every instance sweeps; complaints are claimed with SKIP LOCKED so none is done twice.
  const retention = config.retentionSweepMinutes > 0 ? new RetentionSweeper(app.services.retention, { ...SYSTEM_ACTOR, name: 'Putright (retention schedule)' }, { intervalMs: config.retentionSweepMinutes * 60_000, log }) : null;
  retention?.start();
  // The measures' day counts: what the engine's changes added, moved into the totals every minute.
  const dayCounts = new StageDayCompactor(database.db, 60_000, log).start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in progress');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await Promise.all([app.close(), outbox.stop(), reminders?.stop(), inbound?.close(), retention?.stop(), listener?.close(), dayCounts.stop()]);
      mailer.close();
      // Reports still waiting their turn are refused (503); those running finish before the database closes.
      await reportGate.close();
      await database.close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
