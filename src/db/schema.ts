/** Kysely table types. Each table is created in src/db/migrations. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A PostgreSQL `date`, read back as 'YYYY-MM-DD' (the pg type parser is set for it). */
type DateCol = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, T | string, T | string>;

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Date>;
  updated_by: string | null;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: string;
  team: string | null;
  password_hash: string | null;
  active: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  created_at: Generated<Date>;
  version: Generated<number>;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: Generated<Date>;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface ResidentsTable {
  id: Generated<string>;
  reference: string;
  title: string | null;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  phone: string | null;
  address_line1: string | null;
  address_line2: string | null;
  town: string | null;
  postcode: string | null;
  postcode_key: string | null;
  property_reference: string | null;
  tenure: string;
  preferred_contact: string;
  communication_needs: Json<string[]>;
  language: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface ResidentNeedsTable {
  id: Generated<string>;
  resident_id: string;
  kind: string;
  description: string;
  disclosed_on: DateCol | null;
  review_on: DateCol | null;
  ended_on: DateCol | null;
  recorded_by: string | null;
  created_at: Generated<Date>;
}

export interface ContactRestrictionsTable {
  id: Generated<string>;
  resident_id: string;
  restriction: string;
  reason: string;
  proportionality: string;
  equality_considerations: string;
  starts_on: DateCol;
  review_on: DateCol;
  ends_on: DateCol | null;
  decided_by: string | null;
  created_at: Generated<Date>;
}

export interface RepresentativesTable {
  id: Generated<string>;
  resident_id: string;
  name: string;
  relationship: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  consent_evidence: string;
  consent_recorded_on: DateCol;
  created_at: Generated<Date>;
}

export interface ContactsTable {
  id: Generated<string>;
  resident_id: string | null;
  received_at: Timestamp;
  channel: string;
  summary: string;
  choice_offered: boolean;
  choice: string;
  complaint_id: string | null;
  service_request_id: string | null;
  recorded_by: string | null;
  created_at: Generated<Date>;
}

export interface ServiceRequestsTable {
  id: Generated<string>;
  reference: string;
  resident_id: string | null;
  received_at: Timestamp;
  channel: string;
  service_area: string | null;
  category: string | null;
  description: string;
  status: string;
  last_reviewed_on: DateCol | null;
  closed_on: DateCol | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface ComplaintsTable {
  id: Generated<string>;
  reference: string;
  resident_id: string | null;
  representative_id: string | null;
  anonymous: boolean;
  channel: string;
  received_at: Timestamp;
  received_on: DateCol;
  issue_arose: DateCol | null;
  description: string;
  outcome_sought: string | null;
  help_needed: string | null;
  service_area: string | null;
  category: string | null;
  contractor: string | null;
  service_request_id: string | null;
  subject_staff_ids: Json<string[]>;
  logged_by: string | null;
  rule_version: string;
  status: string;
  stage: number;
  stage1_handler_id: string | null;
  stage2_handler_id: string | null;
  outcome: string | null;
  next_due_on: DateCol | null;
  next_due_kind: string | null;
  vulnerable: Generated<boolean>;
  extended: Generated<boolean>;
  closed_on: DateCol | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
  /** The version the stored measures' facts were folded at (0012). */
  facts_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ComplaintLinksTable {
  complaint_id: string;
  other_id: string;
  relation: string;
  created_at: Generated<Date>;
}

export interface HistoryTable {
  id: Generated<string>;
  complaint_id: string | null;
  resident_id: string | null;
  entity: string;
  entity_id: string | null;
  action: string;
  /** The lifecycle event's data, for the complaint's state machine; null for other changes. */
  event: Json<unknown> | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  actor_id: string | null;
  actor_label: string;
  at: Generated<Date>;
}

export interface NotesTable {
  id: Generated<string>;
  complaint_id: string;
  body: string;
  restricted: boolean;
  author_id: string | null;
  created_at: Generated<Date>;
}

export interface CorrespondenceTable {
  id: Generated<string>;
  complaint_id: string;
  direction: string;
  channel: string;
  subject: string | null;
  body: string;
  counterpart: string | null;
  occurred_at: Timestamp;
  recorded_by: string | null;
  created_at: Generated<Date>;
}

export interface AttachmentsTable {
  id: Generated<string>;
  complaint_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  data: Buffer;
  description: string | null;
  uploaded_by: string | null;
  created_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  route: string;
  request_hash: string;
  status_code: number;
  response: Json<unknown>;
  created_at: Generated<Date>;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Timestamp;
}

export interface RemediesTable {
  id: Generated<string>;
  complaint_id: string;
  stage: number;
  type: string;
  description: string;
  owner_user_id: string | null;
  owner_team: string | null;
  due_on: DateCol | null;
  agreed_with_resident: boolean | null;
  status: string;
  source: string;
  recorded_on: DateCol;
  amount_pence: number | null;
  heads: Json<{ head: string; amountPence: number; note?: string | null }[]>;
  impact_band: string | null;
  approval_required: Generated<boolean>;
  approval_limit_pence: number | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
  approval_note: string | null;
  offered_on: DateCol | null;
  open_until: DateCol | null;
  accepted_on: DateCol | null;
  declined_on: DateCol | null;
  decline_reason: string | null;
  lapsed_on: DateCol | null;
  paid_on: DateCol | null;
  payment_method: string | null;
  payment_reference: string | null;
  not_offset_confirmed: boolean | null;
  completed_on: DateCol | null;
  completion_note: string | null;
  cancelled_on: DateCol | null;
  cancelled_reason: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface ActionsTable {
  id: Generated<string>;
  complaint_id: string;
  stage: number | null;
  remedy_id: string | null;
  description: string;
  owner_user_id: string | null;
  owner_team: string | null;
  contractor: string | null;
  due_on: DateCol | null;
  resident_update_due_on: DateCol | null;
  resident_update_every_days: number | null;
  last_resident_update_on: DateCol | null;
  status: string;
  source: string;
  recorded_on: DateCol;
  completed_on: DateCol | null;
  completion_note: string | null;
  cancelled_on: DateCol | null;
  cancelled_reason: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface LetterTemplatesTable {
  kind: string;
  subject: string;
  body: string;
  version: Generated<number>;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export interface OutboxTable {
  id: Generated<string>;
  kind: string;
  complaint_id: string | null;
  letter_id: string | null;
  to_addresses: Json<string[]>;
  cc_addresses: Json<string[]>;
  subject: string;
  text_body: string;
  html_body: string | null;
  message_id: string;
  /** pending → sending → sent, or back to pending (retry), or failed (permanent). */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  claimed_by: string | null;
  last_error: string | null;
  smtp_response: string | null;
  sent_at: Timestamp | null;
  failed_at: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OutboxAttemptsTable {
  id: Generated<string>;
  outbox_id: string;
  attempt: number;
  worker: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  outcome: string | null;
  smtp_code: number | null;
  detail: string | null;
}

export interface LettersTable {
  id: Generated<string>;
  complaint_id: string;
  kind: string;
  stage: number;
  subject: string;
  body_text: string;
  body_html: string;
  blocks: Json<unknown>;
  letterhead: Json<unknown>;
  channel: string;
  to_address: string;
  cc: Json<string[]>;
  large_print: boolean;
  readability: Json<unknown>;
  prompts: Json<unknown>;
  template_version: number | null;
  outbox_id: string | null;
  sent_by: string | null;
  sent_by_name: string;
  sent_at: Timestamp;
}

export interface InboundMessagesTable {
  message_id: string;
  received_at: Timestamp;
  from_address: string | null;
  subject: string | null;
  complaint_id: string | null;
  contact_id: string | null;
  correspondence_id: string | null;
  attachments: Generated<number>;
  status: string;
}

// ---- remedies branch: learning register, Ombudsman cases, reminders (migration 0005) ----
export interface LearningItemsTable {
  id: Generated<string>;
  complaint_id: string | null;
  stage: number | null;
  source: string;
  status: string;
  outcome: string | null;
  category: string | null;
  root_cause: string | null;
  what_went_wrong: string | null;
  recommendation: string | null;
  service_area: string | null;
  area_response: string | null;
  improvement: string | null;
  improved_on: DateCol | null;
  closed_reason: string | null;
  publishable: Generated<boolean>;
  you_said: string | null;
  we_did: string | null;
  recorded_on: DateCol;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface OmbudsmanCasesTable {
  id: Generated<string>;
  complaint_id: string;
  reference: string;
  ombudsman: Generated<string>;
  opened_on: DateCol;
  owner_user_id: string | null;
  status: string;
  determined_on: DateCol | null;
  determination_summary: string | null;
  mrc_reported_on: DateCol | null;
  closed_on: DateCol | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface OmbudsmanRequestsTable {
  id: Generated<string>;
  case_id: string;
  requested_on: DateCol;
  due_on: DateCol;
  what: string;
  replied_on: DateCol | null;
  reply_note: string | null;
  created_at: Generated<Date>;
}

export interface OmbudsmanFindingsTable {
  id: Generated<string>;
  case_id: string;
  issue: string;
  issue_kind: string;
  finding: string;
  note: string | null;
  /** The order the Ombudsman gave them in. */
  position: Generated<number>;
  created_at: Generated<Date>;
}

export interface OmbudsmanOrdersTable {
  id: Generated<string>;
  case_id: string;
  kind: string;
  description: string;
  amount_pence: number | null;
  due_on: DateCol | null;
  owner_user_id: string | null;
  complied_on: DateCol | null;
  evidence: string | null;
  evidence_sent_on: DateCol | null;
  declined_reason: string | null;
  position: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface RemindersSentTable {
  id: Generated<string>;
  subject: string;
  subject_id: string;
  kind: string;
  due_on: DateCol;
  complaint_id: string | null;
  recipient_user_ids: Json<string[]>;
  message: string;
  outbox_id: string | null;
  instance: string | null;
  sent_at: Generated<Date>;
}
// ---- end remedies branch tables ----

export interface Database {
  complaint_stage_facts: ComplaintStageFactsTable;
  complaint_extension_facts: ComplaintExtensionFactsTable;
  complaint_stage_day_totals: StageDayCountsTable;
  complaint_stage_day_deltas: StageDayCountsTable;
  complaint_letter_inputs: ComplaintLetterInputsTable;
  complaint_case_summaries: ComplaintCaseSummariesTable;
  sessions: SessionsTable;
  settings: SettingsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  residents: ResidentsTable;
  resident_needs: ResidentNeedsTable;
  contact_restrictions: ContactRestrictionsTable;
  representatives: RepresentativesTable;
  contacts: ContactsTable;
  service_requests: ServiceRequestsTable;
  complaints: ComplaintsTable;
  complaint_links: ComplaintLinksTable;
  history: HistoryTable;
  notes: NotesTable;
  correspondence: CorrespondenceTable;
  attachments: AttachmentsTable;
  idempotency_keys: IdempotencyKeysTable;
  remedies: RemediesTable;
  actions: ActionsTable;
  letter_templates: LetterTemplatesTable;
  outbox: OutboxTable;
  outbox_attempts: OutboxAttemptsTable;
  letters: LettersTable;
  inbound_messages: InboundMessagesTable;
  // dataprot (#8): access audit, subject access, retention
  access_audit: AccessAuditTable;
  subject_access_requests: SubjectAccessRequestsTable;
  retention_holds: RetentionHoldsTable;
  retention_runs: RetentionRunsTable;
  anonymised_complaints: AnonymisedComplaintsTable;
  // letters (branch `letters`): resolutions of failed email, triage attachments, the letterhead logo
  outbox_resolutions: OutboxResolutionsTable;
  inbound_attachments: InboundAttachmentsTable;
  letterhead_logo: LetterheadLogoTable;
  // residents (#4): the public pages
  public_drafts: PublicDraftsTable;
  public_draft_files: PublicDraftFilesTable;
  public_submissions: PublicSubmissionsTable;
  follow_links: FollowLinksTable;
  follow_sessions: FollowSessionsTable;
  rate_limit_hits: RateLimitHitsTable;
  // remedies branch
  learning_items: LearningItemsTable;
  ombudsman_cases: OmbudsmanCasesTable;
  ombudsman_requests: OmbudsmanRequestsTable;
  ombudsman_findings: OmbudsmanFindingsTable;
  ombudsman_orders: OmbudsmanOrdersTable;
  reminders_sent: RemindersSentTable;
  // measures (branch `measures`): reports
  tsm_home_counts: TsmHomeCountsTable;
  survey_imports: SurveyImportsTable;
  survey_responses: SurveyResponsesTable;
  // selfassess: self-assessments, annual reports, exceptional circumstances notices
  self_assessments: SelfAssessmentsTable;
  self_assessment_rows: SelfAssessmentRowsTable;
  annual_reports: AnnualReportsTable;
  annual_report_files: AnnualReportFilesTable;
  exceptional_notices: ExceptionalNoticesTable;
}

export interface OutboxResolutionsTable {
  outbox_id: string;
  note: string;
  resolved_by: string | null;
  resolved_by_name: string;
  resolved_at: Timestamp;
}

export interface InboundAttachmentsTable {
  id: Generated<string>;
  message_id: string;
  contact_id: string | null;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  data: Buffer;
  created_at: Generated<Date>;
}

export interface LetterheadLogoTable {
  id: string;
  content_type: string;
  data: Buffer;
  sha256: string;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export type ComplaintRow = Selectable<ComplaintsTable>;
export type NewComplaint = Insertable<ComplaintsTable>;
export type ComplaintUpdate = Updateable<ComplaintsTable>;
export type ResidentRow = Selectable<ResidentsTable>;
export type UserRow = Selectable<UsersTable>;
export type HistoryRow = Selectable<HistoryTable>;
export type RemedyRow = Selectable<RemediesTable>;
export type ActionRow = Selectable<ActionsTable>;

// dataprot (#8): access audit, subject access, retention
export interface AccessAuditTable {
  id: Generated<string>;
  at: Timestamp;
  actor_id: string | null;
  actor_label: string;
  actor_role: string;
  action: string;
  resident_id: string | null;
  complaint_id: string | null;
  entity_id: string | null;
  detail: string | null;
}

export interface SubjectAccessRequestsTable {
  id: Generated<string>;
  resident_id: string;
  requested_by: string | null;
  requested_by_name: string;
  received_on: DateCol | null;
  created_at: Timestamp;
  duration_ms: number;
  size_bytes: number;
  files: number;
  complaints: number;
  sha256: string;
}

export interface RetentionHoldsTable {
  complaint_id: string;
  reason: string;
  placed_by: string | null;
  placed_by_name: string;
  placed_at: Timestamp;
}

export interface RetentionRunsTable {
  id: Generated<string>;
  seq: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  dry_run: boolean;
  trigger: string;
  triggered_by: string | null;
  triggered_by_name: string;
  instance: string;
  retention_years: number;
  cutoff: DateCol;
  eligible: Generated<number>;
  anonymised: Generated<number>;
  held: Generated<number>;
  skipped: Generated<number>;
  residents_anonymised: Generated<number>;
  references: Json<string[]>;
  error: string | null;
}

export interface AnonymisedComplaintsTable {
  complaint_id: string;
  run_id: string | null;
  anonymised_at: Timestamp;
}

// residents (#4): the public pages
export interface PublicDraftsTable {
  id_hash: string;
  csrf_token: string;
  answers: Json<Record<string, unknown>>;
  complaint_id: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

export interface PublicDraftFilesTable {
  id: Generated<string>;
  draft_hash: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  data: Buffer;
  created_at: Date;
}

export interface PublicSubmissionsTable {
  complaint_id: string;
  email: string | null;
  family_name_key: string;
  postcode_key: string | null;
  submitted_at: Date;
}

export interface FollowLinksTable {
  token_hash: string;
  complaint_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface FollowSessionsTable {
  id_hash: string;
  complaint_id: string;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}

export interface RateLimitHitsTable {
  bucket: string;
  window_start: Date;
  hits: number;
}
export type LearningItemRow = Selectable<LearningItemsTable>;
export type OmbudsmanCaseRow = Selectable<OmbudsmanCasesTable>;
export type OmbudsmanOrderRow = Selectable<OmbudsmanOrdersTable>;
// measures (branch `measures`): reports --------------------------------------------------------

export interface TsmHomeCountsTable {
  year: number;
  lcra: number | null;
  lcho: number | null;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export interface SurveyImportsTable {
  id: Generated<string>;
  source: string;
  rows: number;
  imported_by: string | null;
  imported_at: Generated<Date>;
}

export interface SurveyResponsesTable {
  id: Generated<string>;
  import_id: string;
  respondent_ref: string;
  surveyed_on: DateCol;
  tenure: string;
  complained: boolean;
  answer: string | null;
}

// selfassess: self-assessments against the Code, annual reports, exceptional circumstances notices
export interface SelfAssessmentsTable {
  id: Generated<string>;
  title: string;
  code_version: Generated<string>;
  period_from: DateCol;
  period_to: DateCol;
  reason: string;
  ombudsman_case_ref: string | null;
  based_on_id: string | null;
  status: Generated<string>;
  completed_on: DateCol | null;
  evidence_as_at: DateCol | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface SelfAssessmentRowsTable {
  assessment_id: string;
  provision: string;
  comply: string | null;
  evidence: Generated<string>;
  commentary: Generated<string>;
  actions: Json<{ text: string; dueOn: string | null }[]>;
  generated_evidence: Json<string[]>;
  flag: string | null;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export interface AnnualReportsTable {
  id: Generated<string>;
  year_start: DateCol;
  title: string;
  self_assessment_id: string | null;
  introduction: Generated<string>;
  performance_commentary: Generated<string>;
  ombudsman_findings_text: Generated<string>;
  service_improvements_text: Generated<string>;
  ombudsman_annual_report_text: Generated<string>;
  other_reports_text: Generated<string>;
  governing_body_response: Generated<string>;
  governing_body_response_on: DateCol | null;
  published_at: Timestamp | null;
  published_by: string | null;
  snapshot: Json<unknown> | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export interface AnnualReportFilesTable {
  id: Generated<string>;
  report_id: string;
  kind: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  data: Buffer;
  description: string | null;
  uploaded_by: string | null;
  created_at: Generated<Date>;
}

export interface ExceptionalNoticesTable {
  id: Generated<string>;
  title: string;
  circumstances: string;
  effect: string;
  provisions: Json<string[]>;
  starts_on: DateCol;
  expected_return_on: DateCol;
  ended_on: DateCol | null;
  ombudsman_told_on: DateCol | null;
  residents_told_how: Generated<string>;
  published: Generated<boolean>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

/** The measures' facts of one complaint stage (0012; see src/services/stage-facts.ts). */
export interface ComplaintStageFactsTable {
  complaint_id: string;
  stage: number;
  received_on: DateCol;
  tenure: string | null;
  channel: string;
  service_area: string | null;
  category: string | null;
  started_on: DateCol;
  acknowledgement_due: DateCol;
  acknowledged_on: DateCol | null;
  due_original: DateCol;
  due_compliant: DateCol;
  due_in_force: DateCol;
  responded_on: DateCol | null;
  outcome: string | null;
  ended_how: string | null;
  ended_on: DateCol | null;
  ended_ground: string | null;
  first_on: DateCol;
  last_on: DateCol | null;
}

/** One extension of a complaint stage, as the measures count it (0012). */
export interface ComplaintExtensionFactsTable {
  complaint_id: string;
  stage: number;
  seq: number;
  received_on: DateCol;
  previous_due: DateCol;
  new_due: DateCol;
  resident_told_on: DateCol;
  beyond_cap: boolean;
  good_reason: boolean;
  told_late: boolean;
  compliant: boolean;
}

/** What the letters-due rule reads, kept by triggers from the history, letters, remedies and actions (0023). */
export interface ComplaintLetterInputsTable {
  complaint_id: string;
  source: string;
  source_id: string;
  seq: string;
  kind: string | null;
  at: Date;
  stage: unknown;
  refusal_kind: unknown;
}

/** Day-by-day counts of the stage facts, compacted and still to add (0021; src/services/stage-day-counts.ts). */
export interface StageDayCountsTable {
  kind: string;
  day: DateCol;
  stage: number;
  tenure: string;
  key1: string;
  key2: string;
  n: number;
}

/** What the evidence and the annual report count from one complaint (0012). */
export interface ComplaintCaseSummariesTable {
  complaint_id: string;
  first_on: DateCol;
  last_on: DateCol;
  channel: string;
  service_area: string | null;
  contractor: string | null;
  representative: boolean;
  from_service_request: boolean;
  logged_by: string | null;
  /** CaseSummary as JSON. */
  summary: string;
}
