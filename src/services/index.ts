/** The application services, built once per app around one database. */
import type { Db } from '../db/database.js';
import { ComplaintService } from './complaints.js';
import { InboundMailService } from './inbound.js';
import { LearningService } from './learning.js';
import { OmbudsmanService } from './ombudsman.js';
import { ReminderService } from './reminders.js';
import { LetterService } from './letters.js';
import { OutboxService } from './outbox.js';
import { PublicIntakeService } from './public-intake.js';
import { ActionService, RemedyService } from './remedies.js';
import { ContactService, ServiceRequestService } from './service-requests.js';
import { ReportService } from './reports.js';
import { DataExportService, type DataExportOptions } from './data-export.js';
import { SessionService } from './sessions.js';
import { AuthCache } from './auth-cache.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';
import { AccessAuditService } from './data-protection/access-audit.js';
import { RetentionService } from './data-protection/retention.js';
import { SubjectAccessService } from './data-protection/subject-access.js';
import { EvidenceService } from './evidence.js';
import { SelfAssessmentService } from './self-assessments.js';
import { AnnualReportService, ExceptionalNoticeService } from './annual-reports.js';
import { wireSection8 } from './section8-sources.js';

export interface Services {
  settings: SettingsService;
  users: UserService;
  complaints: ComplaintService;
  serviceRequests: ServiceRequestService;
  contacts: ContactService;
  sessions: SessionService;
  /** Tokens and sessions remembered for a few seconds; cleared by NOTIFY from other instances. */
  authCache: AuthCache;
  letters: LetterService;
  outbox: OutboxService;
  inbound: InboundMailService;
  remedies: RemedyService;
  actions: ActionService;
  accessAudit: AccessAuditService;
  subjectAccess: SubjectAccessService;
  retention: RetentionService;
  publicIntake: PublicIntakeService;
  learning: LearningService;
  ombudsman: OmbudsmanService;
  reminders: ReminderService;
  reports: ReportService;
  dataExport: DataExportService;
  evidence: EvidenceService;
  selfAssessments: SelfAssessmentService;
  annualReports: AnnualReportService;
  exceptionalNotices: ExceptionalNoticeService;
}

export function buildServices(db: Db, clock: () => Date = () => new Date(), opts: { authCacheMs?: number; dataExport?: DataExportOptions; parallelReads?: boolean } = {}): Services {
  const authCache = new AuthCache({ ttlMs: opts.authCacheMs });
  const settings = new SettingsService(db);
  const actions = new ActionService(db, clock);
  const learning = new LearningService(db, clock);
  const remedies = new RemedyService(db, clock, actions, learning, { parallelReads: opts.parallelReads });
  const users = new UserService(db, authCache);
  const complaints = new ComplaintService(db, settings, clock, remedies, (ids, executor) => users.namesOf(ids, executor));
  const accessAudit = new AccessAuditService(db, clock);
  const ombudsman = new OmbudsmanService(db, clock);
  const reports = new ReportService(db, settings, { remedies, learning, ombudsman }, clock);
  const evidence = new EvidenceService(db, settings, clock);
  const selfAssessments = new SelfAssessmentService(db, evidence, clock);
  const services: Services = {
    settings,
    users,
    complaints,
    serviceRequests: new ServiceRequestService(db, settings, complaints),
    contacts: new ContactService(db, clock),
    sessions: new SessionService(db, undefined, authCache),
    authCache,
    letters: new LetterService(db, settings, complaints, clock),
    outbox: new OutboxService(db, clock),
    inbound: new InboundMailService(db, clock),
    remedies,
    actions,
    accessAudit,
    subjectAccess: new SubjectAccessService(db, accessAudit, clock),
    retention: new RetentionService(db, clock),
    publicIntake: new PublicIntakeService(db, settings, complaints, clock),
    learning,
    ombudsman,
    reminders: new ReminderService(db, clock),
    reports,
    dataExport: new DataExportService(db, opts.dataExport),
    evidence,
    selfAssessments,
    annualReports: new AnnualReportService(db, settings, evidence, selfAssessments, clock),
    exceptionalNotices: new ExceptionalNoticeService(db, clock),
  };
  wireSection8(db, services);
  return services;
}
