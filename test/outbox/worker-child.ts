/**
 * A stand-alone outbox worker for test/outbox/outbox-crash.test.ts: opens the embedded database
 * in the directory given, and sends due email to the SMTP port given. The test SIGKILLs it in the
 * middle of a send and starts it again. With EXIT_WHEN_DONE=1 it exits once nothing is pending
 * or being sent.
 */
import { openEmbedded } from '../../src/db/database.js';
import { OutboxWorker, smtpMailer } from '../../src/services/outbox.js';

const [dataDir, port] = process.argv.slice(2);
const db = await openEmbedded(dataDir);
const worker = new OutboxWorker(db.db, {
  mailer: smtpMailer(`smtp://127.0.0.1:${port}`, { timeoutMs: 20_000 }),
  from: () => '"Example Housing Association" <complaints@example.org.uk>',
  leaseMs: Number(process.env.LEASE_MS ?? 1_500),
  pollMs: 100,
  workerId: `child-${process.pid}`,
});
process.send?.({ ready: process.pid });
if (process.env.EXIT_WHEN_DONE === '1') {
  for (;;) {
    await worker.runOnce();
    const left = await db.db.selectFrom('outbox').select('id').where('status', 'in', ['pending', 'sending']).execute();
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await db.close();
  process.exit(0);
} else {
  worker.start();
  // The worker's timer does not hold the process open (the server's listener does that): hold it here.
  setInterval(() => {}, 1 << 30);
}
