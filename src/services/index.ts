/** The application services, built once per app around one database. */
import type { Db } from '../db/database.js';
import { ComplaintService } from './complaints.js';
import { InboundMailService } from './inbound.js';
import { LearningService } from './learning.js';
import { OmbudsmanService } from './ombudsman.js';
import { ReminderService } from './reminders.js';
import { LetterService } from './letters.js';
import { OutboxService } from './outbox.js';
import { ActionService, RemedyService } from './remedies.js';
import { ContactService, ServiceRequestService } from './service-requests.js';
import { ReportService } from './reports.js';
import { DataExportService } from './data-export.js';
import { SessionService } from './sessions.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';
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
  letters: LetterService;
  outbox: OutboxService;
  inbound: InboundMailService;
  remedies: RemedyService;
  actions: ActionService;
  evidence: EvidenceService;
  selfAssessments: SelfAssessmentService;
  annualReports: AnnualReportService;
  exceptionalNotices: ExceptionalNoticeService;
  reports: ReportService;
  dataExport: DataExportService;
  learning: LearningService;
  ombudsman: OmbudsmanService;
  reminders: ReminderService;
}

export function buildServices(db: Db, clock: () => Date = () => new Date()): Services {
  const settings = new SettingsService(db);
  const actions = new ActionService(db, clock);
  const learning = new LearningService(db, clock);
  const remedies = new RemedyService(db, clock, actions, learning);
  const complaints = new ComplaintService(db, settings, clock, remedies);
  const evidence = new EvidenceService(db, settings, clock);
  const selfAssessments = new SelfAssessmentService(db, evidence, clock);
  const reports = new ReportService(db, settings, remedies, clock);
  const services: Services = {
    settings,
    users: new UserService(db),
    complaints,
    serviceRequests: new ServiceRequestService(db, settings, complaints),
    contacts: new ContactService(db, clock),
    sessions: new SessionService(db),
    letters: new LetterService(db, settings, complaints, clock),
    outbox: new OutboxService(db, clock),
    inbound: new InboundMailService(db, clock),
    remedies,
    actions,
    evidence,
    selfAssessments,
    annualReports: new AnnualReportService(db, settings, evidence, selfAssessments, clock),
    exceptionalNotices: new ExceptionalNoticeService(db, clock),
    reports,
    dataExport: new DataExportService(db, reports),
    learning,
    ombudsman: new OmbudsmanService(db, clock),
    reminders: new ReminderService(db, clock),
  };
  wireSection8(db, services);
  return services;
}
