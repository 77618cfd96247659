/** The application services, built once per app around one database. */
import type { Db } from '../db/database.js';
import { ComplaintService } from './complaints.js';
import { ContactService, ServiceRequestService } from './service-requests.js';
import { SessionService } from './sessions.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';

export interface Services {
  settings: SettingsService;
  users: UserService;
  complaints: ComplaintService;
  serviceRequests: ServiceRequestService;
  contacts: ContactService;
  sessions: SessionService;
}

export function buildServices(db: Db, clock: () => Date = () => new Date()): Services {
  const settings = new SettingsService(db);
  const complaints = new ComplaintService(db, settings, clock);
  return {
    settings,
    users: new UserService(db),
    complaints,
    serviceRequests: new ServiceRequestService(db, settings, complaints),
    contacts: new ContactService(db, clock),
    sessions: new SessionService(db),
  };
}
