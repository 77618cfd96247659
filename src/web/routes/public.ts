/** Public pages from the landlord's settings: the complaints policy and how to reach the Ombudsman (Code 3.4, 3.5, 3.7). */
import type { FastifyPluginAsync } from 'fastify';
import { pageContext } from './common.js';

const publicPages: FastifyPluginAsync = async (app) => {
  app.get('/complaints-policy', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) =>
    reply.view('public/policy.njk', await pageContext(app, req, { title: 'How to complain' })),
  );
};

export default publicPages;
