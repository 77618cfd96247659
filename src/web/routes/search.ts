/** One search box: complaints by reference or words in the description, residents by name, postcode or reference. */
import type { FastifyPluginAsync } from 'fastify';
import { actorCan } from '../../services/actor.js';
import { pageContext } from './common.js';
import { findResidents } from './intake.js';

const search: FastifyPluginAsync = async (app) => {
  app.get('/search', { config: { access: 'authenticated' }, schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor!;
    const raw = (req.query as Record<string, unknown> | undefined)?.q;
    const q = (typeof raw === 'string' ? raw : Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : '').trim().slice(0, 200);
    const canComplaints = actorCan(actor, 'complaints:read');
    const canResidents = actorCan(actor, 'residents:read');
    const [complaints, residents] = await Promise.all([
      q && canComplaints ? app.services.complaints.search(actor, q, 50) : Promise.resolve(null),
      q && canResidents ? findResidents(app, actor, q, 50) : Promise.resolve(null),
    ]);
    return reply.view(
      'search.njk',
      await pageContext(app, req, { title: q ? `Search results for ‘${q}’` : 'Search', q, complaints, residents, canComplaints, canResidents }),
    );
  });
};

export default search;
