/** Every page route. */
import type { FastifyPluginAsync } from 'fastify';
import auth from './auth.js';
import work from './work.js';
import complaintPages from './complaint.js';

const pages: FastifyPluginAsync<{ secureCookies: boolean }> = async (app, opts) => {
  await app.register(auth, opts);
  await app.register(work);
  await app.register(complaintPages);
};

export default pages;
