/**
 * Letters and emails that always say what the Code requires. Pure: no I/O.
 *
 * Each letter kind declares its required elements as template fields (`{{ response_due }}`,
 * `{{ ombudsman }}` …). A landlord may edit a template's wording, but an edited template that drops
 * a required field is refused, naming what is missing. Rendering a letter for a case checks again
 * that the rendered text contains each element's value, so a letter that lacks one cannot be sent.
 *
 * Templates are Nunjucks, rendered in a locked-down environment: no loaders (no include/import),
 * no globals, autoescape on, and every template is checked against a whitelist of syntax and the
 * documented fields before it is saved or rendered (no function calls, no `safe`, no lookups
 * outside the documented set), so an edited template can neither run code nor read anything else.
 *
 * A template renders to a small plain-text markup: `## Heading`, `- bullet`, `| table | row |`,
 * paragraphs separated by blank lines (single line breaks kept, for addresses and sign-offs). The
 * markup is parsed into blocks, from which the email's text and HTML, the Word document and the PDF
 * are all made, so every format carries exactly the same words.
 */
import nunjucks from 'nunjucks';
import { formatLongDate, type LocalDate } from './dates.js';
import { responseElements, type Definition, type Outcome, type PointDecisionValue, type RemedyType, type Stage } from './lifecycle.js';
import { formatPounds } from './numbers.js';

// ---------------------------------------------------------------------------------------------
// Kinds and their required elements
// ---------------------------------------------------------------------------------------------

export const LETTER_KINDS = [
  'stage1_acknowledgement',
  'stage2_acknowledgement',
  'extension',
  'update',
  'stage1_response',
  'stage2_response',
  'refusal_acceptance',
  'refusal_escalation',
  'remedy_offer',
  'action_completed',
  'closure',
] as const;
export type LetterKind = (typeof LETTER_KINDS)[number];

export function isLetterKind(k: string): k is LetterKind {
  return (LETTER_KINDS as readonly string[]).includes(k);
}

export const LETTER_TITLES: Record<LetterKind, string> = {
  stage1_acknowledgement: 'The stage 1 acknowledgement',
  stage2_acknowledgement: 'The stage 2 acknowledgement',
  extension: 'The extension notice',
  update: 'The update letter',
  stage1_response: 'The stage 1 response',
  stage2_response: 'The stage 2 final response',
  refusal_acceptance: 'The letter refusing to accept a complaint',
  refusal_escalation: 'The letter refusing to escalate a complaint',
  remedy_offer: 'The remedy offer',
  action_completed: 'The letter saying an action is done',
  closure: 'The closure letter',
};

export interface RequiredElement {
  key: string;
  /** What the element is, in words that finish "… must include ". */
  label: string;
  /**
   * The template fields that carry it. Each inner list is one way of including it: the element is
   * present when every field of any one list is output by the template.
   */
  fields: string[][];
  /** The Code provision (or rules section) that requires it. */
  code: string;
  /** The values the rendered letter must contain; empty strings mean the case lacks the value. */
  values(ctx: LetterContext): string[];
}

const ombudsmanElement = (code: string): RequiredElement => ({
  key: 'ombudsman',
  label: "the Ombudsman's contact details",
  fields: [['ombudsman'], ['ombudsman.name', 'ombudsman.phone', 'ombudsman.website']],
  code,
  values: (c) => [c.ombudsman.name, c.ombudsman.phone, c.ombudsman.website],
});

function acknowledgementElements(stage: Stage): RequiredElement[] {
  return [
    { key: 'definition', label: 'the complaint definition: our understanding of the complaint', fields: [['definition.understanding']], code: '5.6', values: (c) => [c.definition.understanding] },
    { key: 'outcomes_sought', label: 'the outcomes the resident is seeking', fields: [['definition.outcomes_sought']], code: '5.6', values: (c) => [c.definition.outcomes_sought] },
    {
      key: 'responsibility',
      label: 'the points of complaint, saying which we are and are not responsible for',
      fields: [['points_table']],
      code: '5.7',
      values: (c) => (c.points.length === 0 ? [''] : c.points.flatMap((p) => (p.responsible ? [p.summary] : [p.summary, p.responsibility_note]))),
    },
    { key: 'handler', label: 'who is handling the complaint', fields: [['handler.name']], code: stage === 1 ? '6.2' : '6.11', values: (c) => [c.handler.name] },
    { key: 'response_due', label: 'when the response is due', fields: [['response_due']], code: stage === 1 ? '6.3' : '6.14', values: (c) => [c.response_due] },
    ombudsmanElement('3.7'),
  ];
}

function responseLetterElements(stage: Stage): RequiredElement[] {
  const code = stage === 1 ? '6.9' : '6.19';
  const labels = Object.fromEntries(responseElements(stage).map((e) => [e.key, e.label]));
  const els: RequiredElement[] = [
    { key: 'a', label: labels.a, fields: [['stage_name']], code, values: (c) => [c.stage_name] },
    {
      key: 'b',
      label: labels.b,
      fields: [['definition.understanding', 'definition.outcomes_sought']],
      code,
      values: (c) => [c.definition.understanding, c.definition.outcomes_sought],
    },
    { key: 'c', label: labels.c, fields: [['outcome']], code, values: (c) => [c.outcome] },
    {
      key: 'd',
      label: `${labels.d}, point by point`,
      fields: [['decisions_table']],
      code: `${code}, ${stage === 1 ? '6.7' : '6.18'}`,
      values: (c) => (c.decisions.length === 0 ? [''] : c.decisions.flatMap((d) => [d.summary, d.decision, d.reasons])),
    },
    { key: 'e', label: labels.e, fields: [['remedies']], code, values: (c) => c.remedies_values },
    { key: 'f', label: labels.f, fields: [['outstanding_actions']], code, values: (c) => c.outstanding_actions_values },
  ];
  if (stage === 1) {
    els.push({ key: 'g', label: labels.g, fields: [['escalation_route']], code, values: (c) => [c.next_steps_recorded, c.landlord.phone] });
    els.push(ombudsmanElement('3.7'));
  } else {
    els.push({
      key: 'g',
      label: `${labels.g} (the right Ombudsman for each part)`,
      fields: [['ombudsman_route']],
      code: `${code}, 3.7`,
      values: (c) => [c.ombudsman.name, c.ombudsman.phone, ...(c.lgsco_applies ? [c.lgsco.name, c.lgsco.phone] : [])],
    });
  }
  return els;
}

function refusalElements(kind: 'acceptance' | 'escalation'): RequiredElement[] {
  const code = kind === 'acceptance' ? '2.4' : '5.11, 2.4';
  return [
    { key: 'reasons', label: 'the reasons for the decision (the policy ground and why it applies)', fields: [['refusal.ground', 'refusal.reasoning']], code, values: (c) => [c.refusal.ground, c.refusal.reasoning] },
    { key: 'right', label: "the resident's right to take the decision to the Ombudsman", fields: [['ombudsman_right']], code, values: (c) => [c.ombudsman_right] },
    ombudsmanElement(code),
  ];
}

export const REQUIRED_ELEMENTS: Record<LetterKind, RequiredElement[]> = {
  stage1_acknowledgement: acknowledgementElements(1),
  stage2_acknowledgement: acknowledgementElements(2),
  extension: [
    { key: 'reason', label: 'the reasons for the extension', fields: [['extension.reason']], code: '6.4', values: (c) => [c.extension.reason] },
    { key: 'new_date', label: 'the new response date', fields: [['extension.new_due']], code: '6.4', values: (c) => [c.extension.new_due] },
    ombudsmanElement('6.5, 6.16'),
  ],
  update: [
    { key: 'summary', label: 'what is happening with the complaint', fields: [['update.summary']], code: '5.9', values: (c) => [c.update.summary] },
    { key: 'response_due', label: 'when the response is due', fields: [['response_due']], code: '5.9', values: (c) => [c.response_due] },
    ombudsmanElement('3.7'),
  ],
  stage1_response: responseLetterElements(1),
  stage2_response: responseLetterElements(2),
  refusal_acceptance: refusalElements('acceptance'),
  refusal_escalation: refusalElements('escalation'),
  remedy_offer: [
    { key: 'offer', label: 'what we are offering, and the amount', fields: [['offer.details']], code: '7.1, 7.2', values: (c) => c.offer_values },
    { key: 'open_until', label: 'how long the offer is open', fields: [['offer.open_until']], code: '7.3', values: (c) => [c.offer.open_until] },
    { key: 'how_to_accept', label: 'how to accept the offer', fields: [['offer.how_to_accept']], code: '7.3', values: (c) => [c.offer.how_to_accept] },
    ombudsmanElement('3.7'),
  ],
  action_completed: [
    { key: 'action', label: 'the action we have completed', fields: [['action.description']], code: '7.3', values: (c) => [c.action.description] },
    { key: 'completed_on', label: 'when it was completed', fields: [['action.completed_on']], code: '7.3', values: (c) => [c.action.completed_on] },
    ombudsmanElement('3.7'),
  ],
  closure: [
    { key: 'next_steps', label: 'what the resident can do if still unhappy', fields: [['next_steps']], code: '3.7', values: (c) => [c.next_steps] },
    ombudsmanElement('3.7'),
  ],
};

/** Every subject line carries the reference, so replies can be filed on the case. */
export const SUBJECT_REQUIRED: RequiredElement = {
  key: 'reference',
  label: 'the complaint reference',
  fields: [['complaint.reference']],
  code: '5.12',
  values: (c) => [c.complaint.reference],
};

// ---------------------------------------------------------------------------------------------
// The documented fields
// ---------------------------------------------------------------------------------------------

/** Every field a template may use, with what it holds. Lists (`points`, …) may be looped over. */
export const TEMPLATE_FIELDS: Record<string, string> = {
  'landlord.name': 'The landlord’s name',
  'landlord.address': 'The landlord’s address',
  'landlord.email': 'The complaints email address',
  'landlord.phone': 'The complaints phone number',
  'resident.name': 'The resident’s name',
  'resident.greeting': 'The greeting, e.g. "Dear Ms Okafor"',
  'resident.address': 'The resident’s postal address',
  'complaint.reference': 'The complaint reference, e.g. CMP-000123',
  'complaint.received_on': 'The date the complaint was received',
  'complaint.service_area': 'The service area the complaint is about',
  'complaint.description': 'The complaint as the resident described it',
  stage: 'The stage: 1 or 2',
  stage_name: 'The stage in words: "stage 1" or "stage 2"',
  today: 'The date of the letter',
  'sender.name': 'Who is sending the letter',
  'handler.name': 'Who is handling the complaint at this stage',
  acknowledged_on: 'The date the stage was acknowledged',
  'escalation.requested_on': 'The date the resident asked for stage 2',
  'escalation.reason': 'Why the resident asked for stage 2, if they said',
  'definition.understanding': 'Our understanding of the complaint',
  'definition.outcomes_sought': 'The outcomes the resident is seeking',
  points_table: 'A table of the points of complaint, saying who is responsible for each',
  points: 'List: each point (id, summary, responsible, responsibility_note)',
  response_due: 'The date the response is due (after any extension)',
  'extension.reason': 'Why we need more time',
  'extension.previous_due': 'The response date before the extension',
  'extension.new_due': 'The new response date',
  update_interval: 'A sentence saying how often we will update the resident, if agreed',
  'update.summary': 'What is happening with the complaint',
  'update.on': 'The date of the update',
  next_update_due: 'The date of the next update, if agreed',
  responded_on: 'The date of the response',
  outcome: 'The overall decision: "upheld", "partly upheld" or "not upheld"',
  decisions_table: 'A table of each point with our decision and the reasons',
  decisions: 'List: each point with its decision (id, summary, decision, reasons)',
  remedies: 'What we will do to put things right (or a sentence saying there is no remedy)',
  outstanding_actions: 'What we still have to do (or a sentence saying there is nothing left)',
  escalation_route: 'How to escalate the complaint to stage 2 (stage 1 response)',
  ombudsman_route: 'How to take the complaint to the Ombudsman, naming the right Ombudsman for each part (stage 2 response)',
  ombudsman: 'The Housing Ombudsman’s contact details, as a block',
  'ombudsman.name': 'The Ombudsman’s name',
  'ombudsman.phone': 'The Ombudsman’s phone number',
  'ombudsman.email': 'The Ombudsman’s email address',
  'ombudsman.website': 'The Ombudsman’s website',
  'ombudsman.address': 'The Ombudsman’s postal address',
  'lgsco.name': 'The Local Government and Social Care Ombudsman’s name',
  'lgsco.phone': 'The Local Government and Social Care Ombudsman’s phone number',
  'lgsco.website': 'The Local Government and Social Care Ombudsman’s website',
  ombudsman_right: 'A sentence giving the resident’s right to take the decision to the Ombudsman (refusals)',
  'refusal.ground': 'The ground in our complaints policy for the refusal',
  'refusal.reasoning': 'Why the ground applies to this complaint',
  'refusal.on': 'The date of the decision',
  'refusal.discretion': 'Our decision on discretion, where the issue is over 12 months old',
  'offer.details': 'What we are offering to put things right, with any amounts (remedy offer)',
  'offer.total': 'The total amount offered, e.g. £250 (remedy offer)',
  'offer.open_until': 'The last date the offer can be accepted (remedy offer)',
  'offer.how_to_accept': 'A sentence saying how to accept the offer (remedy offer)',
  'action.description': 'The action we have completed (action completed)',
  'action.completed_on': 'The date the action was completed (action completed)',
  'action.note': 'What was done, as recorded when the action was completed',
  remaining_actions: 'What we still have to do after this action (or a sentence saying there is nothing left)',
  closed_on: 'The date the complaint was closed',
  'closure.summary': 'A summary recorded at closure, if any',
  next_steps: 'What the resident can do next if still unhappy (closure)',
};

const LIST_FIELDS = new Set(['points', 'decisions']);
const TOP_LEVEL = new Set(Object.keys(TEMPLATE_FIELDS).map((f) => f.split('.')[0]));
const FORBIDDEN_KEYS = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'toString', 'valueOf', 'call', 'apply', 'bind']);
const ALLOWED_FILTERS = new Set(['upper', 'lower', 'capitalize', 'title', 'trim', 'default', 'd', 'length', 'join', 'first', 'last', 'replace', 'int', 'round']);

// ---------------------------------------------------------------------------------------------
// Default wording (British English, plain language)
// ---------------------------------------------------------------------------------------------

export interface LetterTemplate {
  subject: string;
  body: string;
}

const SIGN_OFF = `Yours sincerely,

{{ sender.name }}
{{ landlord.name }}`;

const OMBUDSMAN_HELP = `## Help from the Ombudsman
You can ask the Housing Ombudsman for advice at any time. Its service is free and independent.

{{ ombudsman }}`;

/** The stage 1 and stage 2 responses share their wording; they differ in the route onward. */
function responseTemplate(stage: Stage): LetterTemplate {
  const final = stage === 2;
  return {
    subject: final ? 'Our final response to your complaint ({{ complaint.reference }})' : 'Our stage 1 response to your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

This is our {{ stage_name }} response to your complaint {{ complaint.reference }}.${final ? ' It is our final response.' : ''} Thank you for your patience while we looked into it${final ? ' again' : ''}.

## Your complaint
{{ definition.understanding }}

You told us you would like this to happen: {{ definition.outcomes_sought }}

## Our decision
We have {{ outcome }} your complaint. Our decision on each point, and the reasons for it, are below.

{{ decisions_table }}

## Putting things right
{{ remedies }}

## What we still need to do
{{ outstanding_actions }}

${final ? '## Taking your complaint to the Ombudsman\n{{ ombudsman_route }}' : `## If you are still unhappy\n{{ escalation_route }}\n\n${OMBUDSMAN_HELP}`}

${SIGN_OFF}`,
  };
}

export const DEFAULT_TEMPLATES: Record<LetterKind, LetterTemplate> = {
  stage1_acknowledgement: {
    subject: 'We have received your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

Thank you for telling us about your complaint. We received it on {{ complaint.received_on }}. We are dealing with it at stage 1 of our complaints process. Your reference is {{ complaint.reference }}.

## What we understand your complaint to be
{{ definition.understanding }}

## What you would like to happen
{{ definition.outcomes_sought }}

## The points we will answer
{{ points_table }}

Please tell us as soon as you can if we have misunderstood anything or missed something out.

## Who is dealing with your complaint
{{ handler.name }} is dealing with your complaint. You can contact us on {{ landlord.phone }} or at {{ landlord.email }}.

## When you will hear from us
We will send you our full response by {{ response_due }}. If we need more time, we will tell you why and give you a new date.

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
  stage2_acknowledgement: {
    subject: 'We are looking at your complaint again at stage 2 ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

You asked us on {{ escalation.requested_on }} to look at your complaint again. We are now dealing with it at stage 2. This is the final stage of our complaints process. Your reference is {{ complaint.reference }}.

## What we understand your complaint to be
{{ definition.understanding }}

## What you would like to happen
{{ definition.outcomes_sought }}

## The points we will answer
{{ points_table }}

Please tell us as soon as you can if we have misunderstood anything or missed something out.

## Who is dealing with your complaint
{{ handler.name }} is dealing with your complaint at stage 2. They did not deal with it at stage 1. You can contact us on {{ landlord.phone }} or at {{ landlord.email }}.

## When you will hear from us
We will send you our final response by {{ response_due }}. If we need more time, we will tell you why and give you a new date.

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
  extension: {
    subject: 'We need more time to answer your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

We are sorry, but we need more time to send you our {{ stage_name }} response to your complaint {{ complaint.reference }}.

## Why we need more time
{{ extension.reason }}

## Your new response date
We said we would respond by {{ extension.previous_due }}. We will now send you our response by {{ extension.new_due }}.
{% if update_interval %}
{{ update_interval }}
{% endif %}

## If you are unhappy with this
You can contact the Housing Ombudsman about the delay, or about your complaint, at any time. Its service is free and independent.

{{ ombudsman }}

${SIGN_OFF}`,
  },
  update: {
    subject: 'An update on your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

This is an update on your complaint {{ complaint.reference }}, as we agreed with you.

## What is happening
{{ update.summary }}

## What happens next
We will send you our {{ stage_name }} response by {{ response_due }}.
{% if next_update_due %}
We will give you another update by {{ next_update_due }}.
{% endif %}

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
  stage1_response: responseTemplate(1),
  stage2_response: responseTemplate(2),
  refusal_acceptance: {
    subject: 'Our decision about your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

Thank you for contacting us on {{ complaint.received_on }}. We have thought carefully about your complaint {{ complaint.reference }}. We have decided that we cannot accept it into our complaints process.

## Why we have made this decision
Our complaints policy says we may not accept a complaint when: {{ refusal.ground }}

{{ refusal.reasoning }}
{% if refusal.discretion %}

{{ refusal.discretion }}
{% endif %}

## If you disagree with our decision
{{ ombudsman_right }}

{{ ombudsman }}

${SIGN_OFF}`,
  },
  refusal_escalation: {
    subject: 'Our decision about your request for stage 2 ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

You asked us on {{ escalation.requested_on }} to look at your complaint {{ complaint.reference }} again at stage 2. We have thought carefully about your request. We have decided that we cannot escalate your complaint.

## Why we have made this decision
Our complaints policy says we may not escalate a complaint when: {{ refusal.ground }}

{{ refusal.reasoning }}

## If you disagree with our decision
{{ ombudsman_right }}

{{ ombudsman }}

${SIGN_OFF}`,
  },
  remedy_offer: {
    subject: 'Our offer to put things right ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

We are writing about your complaint {{ complaint.reference }}. We are sorry for what went wrong. We would like to put things right, and we are making you this offer.

## What we are offering
{{ offer.details }}

## How to accept
{{ offer.how_to_accept }}

The offer is open until {{ offer.open_until }}. Accepting it does not stop you from asking the Ombudsman to look at your complaint.

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
  action_completed: {
    subject: 'We have done what we promised ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

We are writing about your complaint {{ complaint.reference }}. We told you we would do something to put things right, and it is now done.

## What we have done
{{ action.description }}

We completed this on {{ action.completed_on }}.
{% if action.note %}

{{ action.note }}
{% endif %}

## What happens next
{{ remaining_actions }}

If this has not put things right, please tell us straight away on {{ landlord.phone }} or at {{ landlord.email }}.

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
  closure: {
    subject: 'We have closed your complaint ({{ complaint.reference }})',
    body: `{{ resident.greeting }},

We have now closed your complaint {{ complaint.reference }}. We closed it on {{ closed_on }}.
{% if closure.summary %}

{{ closure.summary }}
{% endif %}

## If you are still unhappy
{{ next_steps }}

${OMBUDSMAN_HELP}

${SIGN_OFF}`,
  },
};

// ---------------------------------------------------------------------------------------------
// The context a letter is rendered with
// ---------------------------------------------------------------------------------------------

export interface ContactDetails {
  name: string;
  phone: string;
  email: string;
  website: string;
  address: string;
}

export interface LetterFacts {
  kind: LetterKind;
  today: LocalDate;
  landlord: { name: string; address: string; email: string; phone: string };
  ombudsman: ContactDetails;
  lgsco: { name: string; phone: string; website: string; serviceAreas: string[] };
  resident: { name: string | null; title: string | null; givenName: string | null; familyName: string | null; addressLines: string[] } | null;
  complaint: { reference: string; receivedOn: LocalDate; serviceArea: string | null; description: string };
  senderName: string;
  /** The stage the letter is about. */
  stage: Stage;
  handlerName: string | null;
  stageFacts: {
    acknowledgedOn: LocalDate | null;
    startedOn: LocalDate;
    escalationReason: string | null;
    definition: Definition | null;
    responseDue: LocalDate | null;
    extension: { reason: string; previousDue: LocalDate; newDue: LocalDate } | null;
    updateInterval: { everyWorkingDays: number } | null;
    nextUpdateDue: LocalDate | null;
    lastUpdate: { on: LocalDate; summary: string } | null;
    response: {
      on: LocalDate;
      outcome: Outcome;
      points: { pointId: string; decision: PointDecisionValue; reasons: string }[];
      remedies: { type: RemedyType; description: string; dueBy?: LocalDate | null; amountPence?: number | null }[];
      outstandingActions: { description: string; dueBy?: LocalDate | null; owner?: string | null }[];
      nextSteps: string;
    } | null;
  };
  refusal: { kind: 'acceptance' | 'escalation'; groundLabel: string; reasoning: string; on: LocalDate; discretion: string | null } | null;
  closure: { on: LocalDate; summary: string | null; afterStage: Stage } | null;
  /** Remedy offer: the offers made and not yet answered. */
  offers?: { type: RemedyType; description: string; amountPence: number | null; openUntil: LocalDate | null }[] | null;
  /** Action completed: the action, and what is still to do. */
  completedAction?: { description: string; completedOn: LocalDate; note: string | null } | null;
  remainingActions?: { description: string; dueBy: LocalDate | null }[] | null;
  /** Text the handler gives for this letter, e.g. an update's summary when none is recorded. */
  summaryOverride?: string | null;
}

type Ombudsman = ContactDetails & { toString(): string };

export interface LetterContext {
  landlord: { name: string; address: string; email: string; phone: string };
  resident: { name: string; greeting: string; address: string };
  complaint: { reference: string; received_on: string; service_area: string; description: string };
  stage: Stage;
  stage_name: string;
  today: string;
  sender: { name: string };
  handler: { name: string };
  acknowledged_on: string;
  escalation: { requested_on: string; reason: string };
  escalation_route: string;
  definition: { understanding: string; outcomes_sought: string };
  points: { id: string; summary: string; responsible: boolean; responsibility_note: string }[];
  points_table: string;
  response_due: string;
  extension: { reason: string; previous_due: string; new_due: string };
  update_interval: string;
  update: { summary: string; on: string };
  next_update_due: string;
  responded_on: string;
  outcome: string;
  decisions: { id: string; summary: string; decision: string; reasons: string }[];
  decisions_table: string;
  remedies: string;
  remedies_values: string[];
  outstanding_actions: string;
  outstanding_actions_values: string[];
  next_steps_recorded: string;
  ombudsman_route: string;
  ombudsman: Ombudsman;
  lgsco: { name: string; phone: string; website: string };
  lgsco_applies: boolean;
  ombudsman_right: string;
  refusal: { ground: string; reasoning: string; on: string; discretion: string };
  closed_on: string;
  closure: { summary: string };
  next_steps: string;
  offer: { details: string; total: string; open_until: string; how_to_accept: string };
  offer_values: string[];
  action: { description: string; completed_on: string; note: string };
  remaining_actions: string;
}

export const OUTCOME_WORDS: Record<Outcome, string> = { upheld: 'upheld', partly_upheld: 'partly upheld', not_upheld: 'not upheld' };
export const DECISION_WORDS: Record<PointDecisionValue, string> = {
  upheld: 'Upheld',
  partly_upheld: 'Partly upheld',
  not_upheld: 'Not upheld',
  outside_responsibility: 'Not our responsibility',
};
export const REMEDY_WORDS: Record<RemedyType, string> = {
  apology: 'Apology',
  acknowledgement_of_fault: 'What went wrong',
  explanation: 'Explanation',
  action_on_delay: 'Action on the delay',
  reconsidered_decision: 'A changed decision',
  amended_record: 'Correcting our records',
  financial: 'Payment',
  policy_change: 'Changing how we work',
};

export const NO_REMEDY = 'We have not offered a remedy, because we did not find that we got anything wrong.';
export const NO_ACTIONS = 'There is nothing left for us to do on your complaint.';

const date = (d: LocalDate | null | undefined) => (d ? formatLongDate(d) : '');

export function formatMoney(pence: number): string {
  return formatPounds(pence, { pence: 'when-needed' });
}

/** One line of a value: no line breaks, no characters that would start markup. */
function inline(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
const cell = (s: string) => inline(s).replace(/\|/g, '/');

function table(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** Free text from the case: paragraphs kept, but a line cannot start a heading, bullet or table row. */
function prose(s: string | null | undefined): string {
  return (s ?? '')
    .trim()
    .split('\n')
    .map((l) => {
      const t = l.trim().replace(/^[#|]+\s*/, '');
      return /^[-*]\s+/.test(t) ? t.replace(/^[-*]\s+/, '– ') : t;
    })
    .join('\n');
}

function contactBlock(o: ContactDetails): string {
  return [o.name, o.phone && `Phone: ${o.phone}`, o.email && `Email: ${o.email}`, o.website && `Website: ${o.website}`, o.address && `Post: ${o.address}`].filter(Boolean).join('\n');
}

export function greeting(r: LetterFacts['resident']): string {
  if (!r) return 'Dear resident';
  if (r.title && r.familyName) return `Dear ${r.title} ${r.familyName}`;
  const name = [r.givenName, r.familyName].filter(Boolean).join(' ') || r.name;
  return name ? `Dear ${name}` : 'Dear resident';
}

/** The values every template can use, from the facts of the case. */
export function buildContext(f: LetterFacts): LetterContext {
  const s = f.stageFacts;
  const def = s.definition;
  const stageName = `stage ${f.stage}`;
  const ombudsman = { ...f.ombudsman } as Ombudsman;
  const block = contactBlock(f.ombudsman);
  Object.defineProperty(ombudsman, 'toString', { value: () => block, enumerable: false });
  const lgscoApplies = !!f.complaint.serviceArea && f.lgsco.serviceAreas.includes(f.complaint.serviceArea);
  const landlordName = f.landlord.name;

  const points = (def?.points ?? []).map((p) => ({ id: p.id, summary: p.summary, responsible: p.landlordResponsible, responsibility_note: p.responsibilityNote ?? '' }));
  const pointsTable = points.length
    ? table(
        ['Point', 'What you told us', 'Who is responsible'],
        points.map((p, i) => [String(i + 1), p.summary, p.responsible ? 'We are responsible for this' : `Not ${landlordName}: ${p.responsibility_note}`]),
      )
    : '';

  const r = s.response;
  const decisions = r
    ? (def?.points ?? []).map((p) => {
        const d = r.points.find((x) => x.pointId === p.id);
        return { id: p.id, summary: p.summary, decision: d ? DECISION_WORDS[d.decision] : '', reasons: d?.reasons ?? '' };
      })
    : [];
  const decisionsTable = decisions.length
    ? table(
        ['Point', 'What you told us', 'Our decision', 'Our reasons'],
        decisions.map((d, i) => [String(i + 1), d.summary, d.decision, d.reasons]),
      )
    : '';

  const remedyLine = (m: NonNullable<typeof r>['remedies'][number]) =>
    `${REMEDY_WORDS[m.type]}: ${inline(m.description)}${m.amountPence ? ` (${formatMoney(m.amountPence)})` : ''}${m.dueBy ? `. We will do this by ${date(m.dueBy)}.` : ''}`;
  const remedies = !r ? '' : r.remedies.length ? r.remedies.map((m) => `- ${remedyLine(m)}`).join('\n') : NO_REMEDY;
  const remediesValues = !r ? [''] : r.remedies.length ? r.remedies.flatMap((m) => [inline(m.description), ...(m.amountPence ? [formatMoney(m.amountPence)] : [])]) : [NO_REMEDY];
  const actionLine = (a: NonNullable<typeof r>['outstandingActions'][number]) =>
    `${inline(a.description)}${a.owner ? ` (${inline(a.owner)})` : ''}${a.dueBy ? `. We expect this to be done by ${date(a.dueBy)}.` : ''}`;
  const actions = !r ? '' : r.outstandingActions.length ? `${r.outstandingActions.map((a) => `- ${actionLine(a)}`).join('\n')}\n\nWe will keep you updated until these are done.` : NO_ACTIONS;
  const actionsValues = !r ? [''] : r.outstandingActions.length ? r.outstandingActions.map((a) => inline(a.description)) : [NO_ACTIONS];

  const contactUs = `You can contact us on ${f.landlord.phone}, by email at ${f.landlord.email}, or by post at ${inline(f.landlord.address)}. Please quote ${f.complaint.reference}.`;
  const escalation = r && f.stage === 1
    ? `${prose(r.nextSteps)}\n\nTo ask us to look at your complaint again at stage 2, get in touch within 20 working days of this letter. You do not have to give a reason, but it helps us if you tell us why you are still unhappy. ${contactUs}`
    : '';

  const lgscoText = `Your complaint is about ${f.complaint.serviceArea ?? 'a service'}. The ${f.lgsco.name} deals with complaints about this service. You can contact it on ${f.lgsco.phone} or at ${f.lgsco.website}.`;
  const ombudsmanRoute =
    (lgscoApplies
      ? `If you are still unhappy, you can ask an Ombudsman to look at your complaint. It is free and independent.\n\n${lgscoText}\n\nIf any part of your complaint is about your home or our service as your landlord, the ${f.ombudsman.name} deals with that part. You can ask it to investigate up to 12 months after the date of this letter.`
      : `If you are still unhappy, you can ask the ${f.ombudsman.name} to investigate your complaint. It is free and independent. You can do this up to 12 months after the date of this letter.`) +
    `\n\n${block}`;
  const refusalWhat = f.refusal?.kind === 'escalation' ? 'not to escalate your complaint' : 'not to accept your complaint';
  const ombudsmanRight = f.refusal
    ? `You have the right to ask the ${f.ombudsman.name} to look at our decision ${refusalWhat}.${lgscoApplies ? ` As your complaint is about ${f.complaint.serviceArea}, you can also contact the ${f.lgsco.name} on ${f.lgsco.phone}.` : ''} You can contact the Ombudsman using the details below.`
    : '';

  const closureNext = f.closure
    ? f.closure.afterStage === 1
      ? `You can still ask us to look at your complaint again at stage 2. ${contactUs}`
      : ombudsmanRoute
    : '';

  const offers = f.offers ?? [];
  const offerTotal = offers.reduce((n, o) => n + (o.amountPence ?? 0), 0);
  const openUntil = offers.map((o) => o.openUntil).filter((d): d is LocalDate => !!d).sort()[0] ?? null;
  const offerDetails = offers.map((o) => `- ${REMEDY_WORDS[o.type]}: ${inline(o.description)}${o.amountPence ? ` (${formatMoney(o.amountPence)})` : ''}`).join('\n');
  const howToAccept = offers.length
    ? `To accept, please contact us on ${f.landlord.phone} or at ${f.landlord.email}, quoting ${f.complaint.reference}. Tell us how you would like to be paid. We will not take the money off any rent or other charges you owe unless you ask us to.`
    : '';
  const ca = f.completedAction;
  const remaining = f.remainingActions ?? [];
  const remainingText = remaining.length
    ? `We still have these things to do:\n\n${remaining.map((a) => `- ${inline(a.description)}${a.dueBy ? `. We expect this to be done by ${date(a.dueBy)}.` : ''}`).join('\n')}\n\nWe will keep you updated until they are done.`
    : 'There is nothing else left for us to do on your complaint.';

  const every = s.updateInterval?.everyWorkingDays;
  const updateSummary = prose(f.summaryOverride?.trim() || s.lastUpdate?.summary || '');

  return {
    landlord: { ...f.landlord },
    resident: { name: f.resident?.name ?? '', greeting: greeting(f.resident), address: (f.resident?.addressLines ?? []).join('\n') },
    complaint: { reference: f.complaint.reference, received_on: date(f.complaint.receivedOn), service_area: f.complaint.serviceArea ?? '', description: prose(f.complaint.description) },
    stage: f.stage,
    stage_name: stageName,
    today: date(f.today),
    sender: { name: f.senderName },
    handler: { name: f.handlerName ?? '' },
    acknowledged_on: date(s.acknowledgedOn),
    escalation: { requested_on: f.stage === 2 ? date(s.startedOn) : '', reason: prose(s.escalationReason) },
    escalation_route: escalation,
    definition: { understanding: prose(def?.understanding), outcomes_sought: prose(def?.outcomesSought) },
    points,
    points_table: pointsTable,
    response_due: date(s.responseDue),
    extension: { reason: prose(s.extension?.reason), previous_due: date(s.extension?.previousDue), new_due: date(s.extension?.newDue) },
    update_interval: every ? `Until then, we will give you an update on your complaint at least every ${every === 1 ? 'working day' : `${every} working days`}.` : '',
    update: { summary: updateSummary, on: date(s.lastUpdate?.on ?? f.today) },
    next_update_due: date(s.nextUpdateDue),
    responded_on: date(r?.on),
    outcome: r ? OUTCOME_WORDS[r.outcome] : '',
    decisions,
    decisions_table: decisionsTable,
    remedies,
    remedies_values: remediesValues,
    outstanding_actions: actions,
    outstanding_actions_values: actionsValues,
    next_steps_recorded: r ? inline(r.nextSteps) : '',
    ombudsman_route: ombudsmanRoute,
    ombudsman,
    lgsco: { name: f.lgsco.name, phone: f.lgsco.phone, website: f.lgsco.website },
    lgsco_applies: lgscoApplies,
    ombudsman_right: ombudsmanRight,
    refusal: {
      ground: inline(f.refusal?.groundLabel ?? ''),
      reasoning: prose(f.refusal?.reasoning),
      on: date(f.refusal?.on),
      discretion: f.refusal?.discretion ? `We considered whether to use our discretion to accept your complaint even so. ${inline(f.refusal.discretion)}` : '',
    },
    closed_on: date(f.closure?.on),
    closure: { summary: prose(f.closure?.summary) },
    next_steps: closureNext,
    offer: { details: offerDetails, total: offerTotal ? formatMoney(offerTotal) : '', open_until: date(openUntil), how_to_accept: howToAccept },
    offer_values: offers.length ? offers.flatMap((o) => [inline(o.description), ...(o.amountPence ? [formatMoney(o.amountPence)] : [])]) : [''],
    action: { description: ca ? inline(ca.description) : '', completed_on: date(ca?.completedOn), note: prose(ca?.note) },
    remaining_actions: remainingText,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking a template
// ---------------------------------------------------------------------------------------------

export class TemplateProblem extends Error {
  constructor(
    message: string,
    public readonly missing: { key: string; label: string; field: string; code: string }[] = [],
  ) {
    super(message);
    this.name = 'TemplateProblem';
  }
}

interface Node {
  typename: string;
  value?: unknown;
  children?: Node[];
  [k: string]: any;
}

function parse(source: string, what: string): Node {
  try {
    return (nunjucks as any).parser.parse(source, [], { trimBlocks: true, lstripBlocks: true }) as Node;
  } catch (err) {
    throw new TemplateProblem(`The ${what} cannot be read: ${String((err as Error).message).replace(/^\(unknown path\)\s*/, '').split('\n')[0]}`);
  }
}

/** The dotted path of a Symbol or a chain of literal lookups, e.g. 'ombudsman.phone'; null otherwise. */
function pathOf(n: Node): string | null {
  if (n.typename === 'Symbol') return String(n.value);
  if (n.typename === 'LookupVal' && n.val?.typename === 'Literal' && typeof n.val.value === 'string') {
    const t = pathOf(n.target);
    return t === null ? null : `${t}.${n.val.value}`;
  }
  return null;
}

const ALLOWED_NODES = new Set([
  'Root', 'NodeList', 'Output', 'TemplateData', 'Symbol', 'LookupVal', 'Literal', 'Filter', 'If', 'InlineIf', 'For',
  'Compare', 'CompareOperand', 'And', 'Or', 'Not', 'Group', 'Concat', 'Add', 'Sub', 'In',
]);

/**
 * Check a template's syntax against the sandbox's whitelist and return the field paths it outputs.
 * Throws a TemplateProblem naming anything not allowed. Every node of the syntax tree is visited
 * (array fields included), so nothing outside the whitelist can hide inside a condition.
 */
export function inspectTemplate(source: string, what = 'template'): { outputs: Set<string> } {
  if (source.length > 30_000) throw new TemplateProblem(`The ${what} is too long (at most 30,000 characters).`);
  const root = parse(source, what);
  const outputs = new Set<string>();
  const problems: string[] = [];

  const children = (n: Node): Node[] => {
    const out: Node[] = [];
    for (const f of (n.fields ?? []) as string[]) {
      const v = n[f];
      if (Array.isArray(v)) out.push(...v.filter((x) => x && typeof x === 'object' && 'typename' in x));
      else if (v && typeof v === 'object' && 'typename' in v) out.push(v);
    }
    return out;
  };

  const visit = (n: Node | null | undefined, locals: Set<string>, inOutput: boolean): void => {
    if (!n || typeof n !== 'object') return;
    if (!ALLOWED_NODES.has(n.typename)) {
      const name =
        n.typename === 'FunCall' ? 'calling a function' : n.typename === 'KeywordArgs' ? 'named arguments' : n.typename === 'Set' ? '{% set %}' : `${n.typename} (e.g. {% ${n.typename.toLowerCase()} %})`;
      problems.push(`${name} is not allowed in letter templates`);
      return;
    }
    switch (n.typename) {
      case 'Symbol': {
        const name = String(n.value);
        if (!locals.has(name) && !TOP_LEVEL.has(name)) problems.push(`there is no field called {{ ${name} }}`);
        else if (inOutput && !locals.has(name)) outputs.add(name);
        return;
      }
      case 'LookupVal': {
        const p = pathOf(n);
        if (p === null) {
          problems.push('look fields up by name, e.g. {{ ombudsman.phone }}');
          return;
        }
        const parts = p.split('.');
        if (parts.some((k) => FORBIDDEN_KEYS.has(k) || !/^[a-z_][a-z0-9_]*$/i.test(k))) {
          problems.push(`{{ ${p} }} is not a field`);
          return;
        }
        if (locals.has(parts[0])) return;
        if (!(p in TEMPLATE_FIELDS)) problems.push(`there is no field called {{ ${p} }}`);
        else if (inOutput) outputs.add(p);
        return;
      }
      case 'Filter': {
        const name = String(n.name?.value);
        if (!ALLOWED_FILTERS.has(name)) {
          problems.push(`the filter "${name}" is not allowed in letter templates`);
          return;
        }
        const args: Node[] = n.args?.children ?? [];
        args.forEach((a, i) => visit(a, locals, inOutput && i === 0));
        return;
      }
      case 'Output':
        for (const c of n.children ?? []) visit(c, locals, true);
        return;
      case 'For': {
        const arr = pathOf(n.arr);
        if (!arr || !(LIST_FIELDS.has(arr) || locals.has(arr.split('.')[0]))) {
          problems.push(`{% for %} can loop only over ${[...LIST_FIELDS].join(' or ')}`);
          return;
        }
        const inner = new Set(locals);
        inner.add('loop');
        const names: Node[] = n.name?.typename === 'Array' ? (n.name.children ?? []) : [n.name];
        for (const nm of names) {
          if (nm?.typename !== 'Symbol') {
            problems.push('{% for %} needs a plain name for each item');
            return;
          }
          inner.add(String(nm.value));
        }
        visit(n.body, inner, false);
        visit(n.else_, locals, false);
        return;
      }
      case 'InlineIf':
        visit(n.cond, locals, false);
        visit(n.body, locals, inOutput);
        visit(n.else_, locals, inOutput);
        return;
      default:
        for (const c of children(n)) visit(c, locals, n.typename === 'Group' ? inOutput : false);
    }
  };
  visit(root, new Set(), false);
  if (problems.length) throw new TemplateProblem(`The ${what} cannot be used: ${[...new Set(problems)].join('; ')}.`);
  return { outputs };
}

function present(el: RequiredElement, outputs: Set<string>): boolean {
  return el.fields.some((alt) => alt.every((f) => outputs.has(f)));
}

function missingMessage(kind: LetterKind, missing: RequiredElement[], where = ''): string {
  return missing.map((m) => `${LETTER_TITLES[kind]}${where} must include ${m.label} (${m.fields[0].map((f) => `{{ ${f} }}`).join(' and ')})`).join('. ') + '.';
}

/**
 * Check an edited template: its syntax is allowed, its fields exist, and it includes every
 * element its kind requires (the subject must carry the reference). Throws a TemplateProblem
 * naming what is missing, e.g. "The extension notice must include the Ombudsman's contact
 * details ({{ ombudsman }})."
 */
export function checkTemplate(kind: LetterKind, t: LetterTemplate): void {
  if (!t.subject.trim()) throw new TemplateProblem(`${LETTER_TITLES[kind]} needs a subject line.`);
  if (t.subject.includes('\n')) throw new TemplateProblem('The subject must be a single line.');
  const subject = inspectTemplate(t.subject, 'subject');
  const body = inspectTemplate(t.body, 'wording');
  const missing = REQUIRED_ELEMENTS[kind].filter((el) => !present(el, body.outputs));
  const subjectMissing = present(SUBJECT_REQUIRED, subject.outputs) ? [] : [SUBJECT_REQUIRED];
  if (missing.length || subjectMissing.length) {
    const msgs = [missing.length ? missingMessage(kind, missing) : '', subjectMissing.length ? missingMessage(kind, subjectMissing, '’s subject') : ''].filter(Boolean);
    throw new TemplateProblem(
      msgs.join(' '),
      [...missing, ...subjectMissing].map((m) => ({ key: m.key, label: m.label, field: m.fields[0].join(', '), code: m.code })),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function sandbox(): nunjucks.Environment {
  // No loaders: {% include %}, {% import %} and {% extends %} have nothing to load (and are refused
  // by inspectTemplate before rendering in any case). No globals: range, cycler and joiner go.
  const env = new nunjucks.Environment([], { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  const g = (env as any).globals as Record<string, unknown>;
  for (const k of Object.keys(g)) delete g[k];
  return env;
}
const ENV = sandbox();

const UNESCAPE: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&#92;': '\\' };

/**
 * Nunjucks' autoescape encodes every value for HTML. The letter is first a plain-text markup, so
 * the encoding is undone exactly here; the HTML stage (toHtml) then escapes every character of
 * text, the template's own wording and the values alike, so nothing in a case or in an edited
 * template can put markup into an email.
 */
function unescapeAutoescaped(s: string): string {
  return s.replace(/&(amp|quot|#39|lt|gt|#92);/g, (m) => UNESCAPE[m]);
}

export type Block =
  | { type: 'heading'; text: string }
  | { type: 'paragraph'; lines: string[] }
  | { type: 'list'; items: string[] }
  | { type: 'table'; header: string[]; rows: string[][] };

/** Parse the letter markup into blocks. */
export function parseMarkup(markup: string): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ type: 'paragraph', lines: para });
    para = [];
  };
  for (const raw of markup.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) {
      flush();
      continue;
    }
    const t = line.trim();
    const last = blocks[blocks.length - 1];
    if (/^#{1,3}\s+/.test(t)) {
      flush();
      blocks.push({ type: 'heading', text: t.replace(/^#{1,3}\s+/, '') });
    } else if (/^[-*]\s+/.test(t)) {
      flush();
      const item = t.replace(/^[-*]\s+/, '');
      if (last && last.type === 'list' && para.length === 0) last.items.push(item);
      else blocks.push({ type: 'list', items: [item] });
    } else if (t.startsWith('|')) {
      flush();
      const cells = t.replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
      if (last && last.type === 'table') last.rows.push(cells);
      else blocks.push({ type: 'table', header: cells, rows: [] });
    } else {
      // A paragraph line directly after a list or table starts a new paragraph.
      para.push(t);
    }
  }
  flush();
  return blocks;
}

/** Plain text of the blocks: the email's text part, and the words of the Word and PDF versions. */
export function toText(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.type) {
        case 'heading':
          return b.text;
        case 'paragraph':
          return b.lines.join('\n');
        case 'list':
          return b.items.map((i) => `- ${i}`).join('\n');
        case 'table':
          return tableCards(b).map((card) => card.map(([h, v]) => `${h}: ${v}`).join('\n')).join('\n\n');
      }
    })
    .join('\n\n');
}

/** A table read row by row: each row as "Header: value" pairs (plain text, Word and PDF). */
export function tableCards(b: Extract<Block, { type: 'table' }>): [string, string][][] {
  return b.rows.map((r) => b.header.map((h, i) => [h, r[i] ?? ''] as [string, string]));
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Letterhead {
  landlordName: string;
  landlordAddress: string;
  landlordPhone: string;
  landlordEmail: string;
  colour: string;
  date: string;
  reference: string;
  recipient: string[];
  /** The landlord's logo (PNG or JPEG, base64), kept with the letter so it is reproduced as sent. */
  logo?: { contentType: string; data: string } | null;
}

/** The email's HTML: a simple, accessible layout with the landlord's name, the date and the reference. */
export function toHtml(blocks: Block[], opts: { subject: string; largePrint: boolean; letterhead: Letterhead }): string {
  const base = opts.largePrint ? '16pt' : '16px';
  const h2 = opts.largePrint ? '20pt' : '20px';
  const lh = opts.letterhead;
  const colour = /^#[0-9a-fA-F]{6}$/.test(lh.colour) ? lh.colour : '#1d5c4d';
  const body = blocks
    .map((b) => {
      switch (b.type) {
        case 'heading':
          return `<h2 style="font-size:${h2};margin:28px 0 8px;color:#0b0c0c">${escapeHtml(b.text)}</h2>`;
        case 'paragraph':
          return `<p style="margin:0 0 16px">${b.lines.map(escapeHtml).join('<br>')}</p>`;
        case 'list':
          return `<ul style="margin:0 0 16px;padding-left:24px">${b.items.map((i) => `<li style="margin-bottom:6px">${escapeHtml(i)}</li>`).join('')}</ul>`;
        case 'table':
          return (
            `<table role="table" style="border-collapse:collapse;width:100%;margin:0 0 16px;font-size:${base}">` +
            `<thead><tr>${b.header.map((h) => `<th scope="col" style="text-align:left;border-bottom:2px solid #0b0c0c;padding:6px 8px;vertical-align:top">${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
            `<tbody>${b.rows.map((r) => `<tr>${b.header.map((_, i) => `<td style="border-bottom:1px solid #b1b4b6;padding:6px 8px;vertical-align:top">${escapeHtml(r[i] ?? '')}</td>`).join('')}</tr>`).join('')}</tbody></table>`
          );
      }
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(opts.subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f2f1">
<div style="max-width:680px;margin:0 auto;background:#ffffff;font-family:Arial,Helvetica,sans-serif;font-size:${base};line-height:1.5;color:#0b0c0c">
<div style="background:${colour};color:#ffffff;padding:16px 24px"><strong style="font-size:${opts.largePrint ? '22pt' : '22px'}">${escapeHtml(lh.landlordName)}</strong></div>
<div style="padding:24px">
<p style="margin:0 0 16px;color:#505a5f">${escapeHtml(lh.date)}<br>Our reference: ${escapeHtml(lh.reference)}</p>
${body}
</div>
<div style="padding:16px 24px;border-top:1px solid #b1b4b6;color:#505a5f;font-size:${opts.largePrint ? '14pt' : '14px'}">${escapeHtml(lh.landlordName)} · ${escapeHtml(inline(lh.landlordAddress))}<br>${escapeHtml(lh.landlordPhone)} · ${escapeHtml(lh.landlordEmail)}</div>
</div>
</body>
</html>`;
}

export interface ElementCheck {
  key: string;
  label: string;
  field: string;
  code: string;
  /** not_in_letter: the letter's wording does not carry it; no_value: the case does not hold it yet. */
  problem: 'not_in_letter' | 'no_value';
}

export interface RenderedLetter {
  kind: LetterKind;
  subject: string;
  blocks: Block[];
  text: string;
  /** Every required element present; a letter with any missing cannot be sent. */
  complete: boolean;
  missing: ElementCheck[];
  readability: Readability;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Render a letter for a case and check it carries the value of every required element. */
export function renderLetter(kind: LetterKind, template: LetterTemplate, ctx: LetterContext): RenderedLetter {
  inspectTemplate(template.subject, 'subject');
  inspectTemplate(template.body, 'wording');
  let subject: string;
  let markup: string;
  try {
    subject = inline(unescapeAutoescaped(ENV.renderString(template.subject, ctx)));
    markup = unescapeAutoescaped(ENV.renderString(template.body, ctx));
  } catch (err) {
    throw new TemplateProblem(`The template could not be rendered: ${String((err as Error).message).split('\n').pop()?.trim()}`);
  }
  const blocks = parseMarkup(markup);
  const text = toText(blocks);
  const hay = norm(text);
  const missing: ElementCheck[] = [];
  const check = (el: RequiredElement, where: string) => {
    const values = el.values(ctx);
    const base = { key: el.key, label: el.label, field: el.fields[0].join(', '), code: el.code };
    if (values.some((v) => !v || !v.trim())) missing.push({ ...base, problem: 'no_value' });
    else if (!values.every((v) => norm(where).includes(norm(v)))) missing.push({ ...base, problem: 'not_in_letter' });
  };
  for (const el of REQUIRED_ELEMENTS[kind]) check(el, hay);
  check(SUBJECT_REQUIRED, subject);
  return { kind, subject, blocks, text, complete: missing.length === 0, missing, readability: readability(text) };
}

export function describeMissing(kind: LetterKind, missing: ElementCheck[]): string {
  const noValue = missing.filter((m) => m.problem === 'no_value');
  const notIn = missing.filter((m) => m.problem === 'not_in_letter');
  const parts: string[] = [];
  if (noValue.length) parts.push(`${LETTER_TITLES[kind]} cannot be sent yet: the case does not record ${noValue.map((m) => m.label).join('; ')}.`);
  if (notIn.length) parts.push(`${LETTER_TITLES[kind]} as worded does not contain ${notIn.map((m) => `${m.label} ({{ ${m.field} }})`).join('; ')}.`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Readability
// ---------------------------------------------------------------------------------------------

export interface Readability {
  /** Flesch reading ease: 60 and above is plain English; higher is easier. */
  fleschReadingEase: number;
  band: string;
  words: number;
  sentences: number;
  /** Sentences over 25 words. */
  longSentences: { text: string; words: number }[];
  jargon: { term: string; suggestion: string; count: number }[];
}

/** Words and phrases to avoid in letters to residents, with plainer ones. */
export const JARGON: { term: string; suggestion: string }[] = [
  { term: 'aforementioned', suggestion: 'this, that, or name the thing' },
  { term: 'hereby', suggestion: 'leave it out' },
  { term: 'herewith', suggestion: 'with this letter' },
  { term: 'pursuant to', suggestion: 'under' },
  { term: 'in accordance with', suggestion: 'under, or as set out in' },
  { term: 'notwithstanding', suggestion: 'despite, or even if' },
  { term: 'commence', suggestion: 'start' },
  { term: 'endeavour', suggestion: 'try' },
  { term: 'utilise', suggestion: 'use' },
  { term: 'facilitate', suggestion: 'help, or arrange' },
  { term: 'expedite', suggestion: 'speed up' },
  { term: 'in due course', suggestion: 'give a date' },
  { term: 'at this moment in time', suggestion: 'now' },
  { term: 'please be advised', suggestion: 'leave it out' },
  { term: 'prior to', suggestion: 'before' },
  { term: 'subsequent to', suggestion: 'after' },
  { term: 'with regard to', suggestion: 'about' },
  { term: 'in respect of', suggestion: 'about, or for' },
  { term: 'as per', suggestion: 'as, or under' },
  { term: 'remedial works', suggestion: 'repairs' },
  { term: 'maladministration', suggestion: 'explain it: we did not do what we should have done' },
  { term: 'stage 0', suggestion: 'there is no stage 0: use stage 1' },
  { term: 'informal complaint', suggestion: 'there are no informal complaints: it is a stage 1 complaint' },
];

export function syllables(word: string): number {
  let w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (!w) return 0;
  if (w.length <= 3) return 1;
  w = w.replace(/(?:[^laeiouy]es|ed|[^laeiouy]e)$/, '').replace(/^y/, '');
  const m = w.match(/[aeiouy]{1,2}/g);
  return Math.max(1, m ? m.length : 1);
}

const WORD = /[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)*/g;

export function readability(text: string): Readability {
  // Each line is at least one sentence: headings, table rows and sign-offs end without a full stop.
  const sentences = text
    .split('\n')
    .flatMap((line) => line.split(/(?<=[.!?])\s+(?=[^a-z])/))
    .map((s) => s.trim())
    .filter((s) => (s.match(WORD) ?? []).length > 0);
  const words = sentences.flatMap((s) => s.match(WORD) ?? []);
  const syll = words.reduce((n, w) => n + (/^\d/.test(w) ? 1 : syllables(w)), 0);
  const wc = Math.max(words.length, 1);
  const sc = Math.max(sentences.length, 1);
  const score = Math.round((206.835 - 1.015 * (wc / sc) - 84.6 * (syll / wc)) * 10) / 10;
  const band =
    score >= 80 ? 'easy' : score >= 70 ? 'fairly easy' : score >= 60 ? 'plain English' : score >= 50 ? 'fairly difficult' : score >= 30 ? 'difficult' : 'very difficult';
  const longSentences = sentences
    .map((s) => ({ text: s.length > 160 ? `${s.slice(0, 157)}…` : s, words: (s.match(WORD) ?? []).length }))
    .filter((s) => s.words > 25);
  const lower = ` ${text.toLowerCase().replace(/\s+/g, ' ')} `;
  const jargon = JARGON.map((j) => {
    const re = new RegExp(`(?<![a-z])${j.term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z])`, 'g');
    return { ...j, count: (lower.match(re) ?? []).length };
  }).filter((j) => j.count > 0);
  return { fleschReadingEase: score, band, words: words.length, sentences: sentences.length, longSentences, jargon };
}

// ---------------------------------------------------------------------------------------------
// A realistic sample case, for previewing edited wording before it is saved
// ---------------------------------------------------------------------------------------------

/** The facts of a realistic case in which every kind of letter can be written. */
export function sampleFacts(kind: LetterKind, s: { landlord: LetterFacts['landlord']; ombudsman: ContactDetails; lgsco: LetterFacts['lgsco'] }, senderName = 'Sam Sender'): LetterFacts {
  const stage: Stage = ['stage2_acknowledgement', 'stage2_response', 'refusal_escalation'].includes(kind) ? 2 : 1;
  const points = [
    { id: 'P1', summary: 'The kitchen leak took nine weeks to repair', landlordResponsible: true, responsibilityNote: null },
    { id: 'P2', summary: 'Nobody called back after the first visit', landlordResponsible: true, responsibilityNote: null },
    { id: 'P3', summary: 'Water damaged a sofa', landlordResponsible: false, responsibilityNote: 'your contents insurer deals with damage to belongings' },
  ];
  return {
    kind,
    today: '2025-05-20',
    landlord: s.landlord,
    ombudsman: s.ombudsman,
    lgsco: s.lgsco,
    resident: { name: 'Ms Priya Shah', title: 'Ms', givenName: 'Priya', familyName: 'Shah', addressLines: ['Flat 4, Rowan Court', '12 Station Road', 'Anytown', 'AN1 2BC'] },
    complaint: { reference: 'CMP-000123', receivedOn: '2025-04-17', serviceArea: 'Repairs', description: 'My kitchen leak is still not fixed and nobody calls me back.' },
    senderName,
    stage,
    handlerName: stage === 1 ? 'Hana Handler' : 'Morgan Manager',
    stageFacts: {
      acknowledgedOn: stage === 1 ? '2025-04-22' : '2025-06-03',
      startedOn: stage === 1 ? '2025-04-17' : '2025-05-28',
      escalationReason: stage === 2 ? 'The ceiling still has not been redecorated.' : null,
      definition: {
        understanding: 'You reported a leak under the kitchen sink on 3 February. It was not repaired until 7 April, and nobody called you back after the first visit.',
        outcomesSought: 'An apology, the ceiling redecorated, and payment for the time you spent chasing us.',
        points,
      } as Definition,
      responseDue: stage === 1 ? '2025-05-20' : '2025-06-25',
      extension: { reason: 'We are waiting for the contractor’s report on the cause of the leak.', previousDue: '2025-05-20', newDue: '2025-06-03' },
      updateInterval: { everyWorkingDays: 5 },
      nextUpdateDue: '2025-05-27',
      lastUpdate: { on: '2025-05-20', summary: 'Our surveyor visited on 19 May and found the cause of the leak. The contractor will return next week.' },
      response: {
        on: stage === 1 ? '2025-05-20' : '2025-06-24',
        outcome: 'partly_upheld',
        points: [
          { pointId: 'P1', decision: 'upheld', reasons: 'Our repair target is 28 days. The repair took nine weeks.' },
          { pointId: 'P2', decision: 'partly_upheld', reasons: 'We called once, but not again after the second visit.' },
          { pointId: 'P3', decision: 'outside_responsibility', reasons: 'Your contents insurer deals with damage to belongings.' },
        ],
        remedies: [
          { type: 'apology', description: 'We are sorry that the leak took so long to repair.' },
          { type: 'financial', description: 'A payment for your time and trouble', amountPence: 15000 },
        ],
        outstandingActions: [{ description: 'Redecorate the kitchen ceiling', dueBy: '2025-06-13', owner: 'Repairs team' }],
        nextSteps: 'If you are unhappy with this response, you can ask us to look at it again at stage 2.',
      },
    },
    refusal:
      kind === 'refusal_acceptance' || kind === 'refusal_escalation'
        ? {
            kind: kind === 'refusal_acceptance' ? 'acceptance' : 'escalation',
            groundLabel: kind === 'refusal_acceptance' ? 'The issue arose more than 12 months before the complaint was made' : 'The complaint has already been through both stages',
            reasoning: 'The leak you describe was repaired in March 2023, and you first told us about it in May 2025.',
            on: '2025-05-20',
            discretion: null,
          }
        : null,
    closure: kind === 'closure' ? { on: '2025-06-30', summary: 'The ceiling has been redecorated and the payment made.', afterStage: 2 } : null,
    offers: [{ type: 'financial', description: 'A payment for your time and trouble', amountPence: 15000, openUntil: '2025-08-20' }],
    completedAction: { description: 'Redecorate the kitchen ceiling', completedOn: '2025-06-12', note: 'Our decorator repainted the ceiling.' },
    remainingActions: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Letters due: a step recorded on the case whose letter has not been sent since
// ---------------------------------------------------------------------------------------------

export interface CaseStep {
  action: string;
  at: Date;
  stage?: number | null;
  /** For a refusal: acceptance or escalation. */
  refusalKind?: string | null;
}

/** The letter a recorded step calls for, if any. */
export function letterForStep(step: Pick<CaseStep, 'action' | 'stage' | 'refusalKind'>): LetterKind | null {
  switch (step.action) {
    case 'acknowledged':
      return step.stage === 2 ? 'stage2_acknowledgement' : 'stage1_acknowledgement';
    case 'extended':
      return 'extension';
    case 'update_given':
      return 'update';
    case 'responded':
      return step.stage === 2 ? 'stage2_response' : 'stage1_response';
    case 'refused':
      return step.refusalKind === 'escalation' ? 'refusal_escalation' : 'refusal_acceptance';
    case 'closed':
      return 'closure';
    default:
      return null;
  }
}

/**
 * The letters a case owes the resident: for each step that calls for one (an update excepted: it
 * may have been given by phone), the letter is due unless one of that kind was sent at or after
 * the step, or a later step has overtaken it (a response overtakes the acknowledgement and the
 * extension at its stage; an escalation overtakes the stage 1 response; a closure or refusal
 * overtakes everything before it). Offers and completed actions count too.
 */
export function lettersDue(steps: CaseStep[], sent: { kind: string; sentAt: Date }[], extra: { kind: LetterKind; since: Date }[] = []): { kind: LetterKind; title: string; since: Date }[] {
  const ordered = [...steps].sort((a, b) => a.at.getTime() - b.at.getTime());
  const due: { kind: LetterKind; title: string; since: Date }[] = [];
  const sentSince = (kind: string, at: Date) => sent.some((l) => l.kind === kind && l.sentAt.getTime() >= at.getTime());
  ordered.forEach((s, i) => {
    const kind = letterForStep(s);
    if (!kind || kind === 'update') return;
    const later = ordered.slice(i + 1);
    const overtaken = later.some((l) => {
      if (l.action === 'closed' || l.action === 'refused' || l.action === 'withdrawn') return true;
      if (l.action === 'responded' && (kind.endsWith('acknowledgement') || kind === 'extension') && (l.stage ?? 1) === (s.stage ?? 1)) return true;
      if (l.action === 'escalation_requested' && (kind.startsWith('stage1') || kind === 'extension')) return true;
      if (l.action === 'reopened') return kind === 'closure' || kind.startsWith('refusal');
      return false;
    });
    if (overtaken || sentSince(kind, s.at)) return;
    if (!due.some((d) => d.kind === kind)) due.push({ kind, title: LETTER_TITLES[kind], since: s.at });
  });
  for (const e of extra) if (!sentSince(e.kind, e.since) && !due.some((d) => d.kind === e.kind)) due.push({ ...e, title: LETTER_TITLES[e.kind] });
  return due;
}
