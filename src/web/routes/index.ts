/** Every page route. */
import type { FastifyPluginAsync } from 'fastify';
import type { OidcConfig } from '../../services/oidc.js';
import auth from './auth.js';
import settings from './settings.js';
import sso from './sso.js';
import work from './work.js';
import complaintPages from './complaint.js';
import intake from './intake.js';
import residentsPages from './residents.js';
import search from './search.js';
import letterPages from './letters.js';
import publicPages from './public.js';
import remedyPages from './remedies.js';
import selfAssessmentPages from './self-assessments.js';
import reportPages from './reports.js';
import learningOmbudsmanPages from './learning-ombudsman.js';

const pages: FastifyPluginAsync<{ secureCookies: boolean; oidc?: OidcConfig | null }> = async (app, opts) => {
  // Single sign-on routes exist only when it is configured.
  await app.register(sso, opts);
  await app.register(auth, opts);
  await app.register(work);
  await app.register(settings, opts);
  await app.register(complaintPages);
  await app.register(intake);
  await app.register(residentsPages);
  await app.register(search);
  await app.register(letterPages);
  await app.register(publicPages);
  await app.register(remedyPages);
  await app.register(selfAssessmentPages);
  await app.register(reportPages);
  await app.register(learningOmbudsmanPages);
};

export default pages;
