/** Start Putright: configuration, database (embedded PGlite or PostgreSQL), migrations, HTTP. */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { DataDirectoryLocked, migrate, openEmbedded, openPostgres, type DatabaseHandle } from './db/database.js';
import { buildApp, logSerializers } from './http/app.js';
import { fileMailer, OutboxWorker, smtpMailer } from './services/outbox.js';
import { startInboundSmtp } from './services/inbound.js';
import { ReminderSweeper } from './services/reminders.js';

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
  const log = pino({ level: config.logLevel, serializers: logSerializers, redact: ['req.headers.authorization', 'req.headers.cookie'] });
  let database: DatabaseHandle;
  try {
    database = config.database.kind === 'postgres' ? openPostgres(config.database.url, config.database.poolSize) : await openEmbedded(config.database.dataDir);
  } catch (err) {
    if (err instanceof DataDirectoryLocked) {
      log.fatal(err.message);
      process.exit(75);
    }
    throw err;
  }
  await migrate(database.db);
  log.info({ database: database.kind, dataDir: config.database.kind === 'pglite' ? config.database.dataDir : undefined }, 'database ready');

  const app = await buildApp({ database, logger: log, bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, oidc: config.oidc });
  const generated = await app.services.users.ensureAdmin(config.bootstrapAdmin.email, config.bootstrapAdmin.password);
  if (generated) {
    // Shown once, on the console only, so the first administrator can sign in.
    process.stdout.write(`\nFirst administrator created: ${config.bootstrapAdmin.email}\nPassword (shown once): ${generated}\n\n`);
  }

  // Outgoing email: the outbox worker sends what committed transactions queued (letters).
  const mailer = config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl) : fileMailer(config.mail.outboxDir);
  if (!config.mail.smtpUrl && config.env === 'production') {
    log.warn({ outboxDir: config.mail.outboxDir }, 'PUTRIGHT_SMTP_URL is not set: email is written to files and does not reach residents');
  }
  const outbox = new OutboxWorker(database.db, {
    mailer,
    maxAttempts: config.mail.maxAttempts,
    log,
    from: async () => {
      if (config.mail.from) return config.mail.from;
      const { landlord } = await app.services.settings.get();
      return `"${landlord.name.replace(/["\\\r\n]/g, '')}" <${landlord.complaintsEmail}>`;
    },
  });
  outbox.start();
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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in progress');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await Promise.all([app.close(), outbox.stop(), reminders?.stop(), inbound?.close()]);
      mailer.close();
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
