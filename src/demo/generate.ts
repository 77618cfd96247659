/**
 * Demo data: a realistic year (or more) of complaints for a social landlord in England of a given
 * size, so the product can be explored and measured at once.
 *
 * Everything goes through the application services, moving a controllable clock forward through
 * the simulated period: each step (logging, assignment, acknowledgement, extension, response,
 * escalation, closure...) is an event in a time-ordered queue, run with the clock set to the
 * moment it happens. So every record has its history and every rule of the Code is enforced by
 * the engine exactly as it would be for a real case. Deterministic for a given seed.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { WorkingDayCalendar } from '../core/calendar.js';
import { addDays, addMonths, daysBetween, isValidLocalDate, londonDateOf, londonStartOfDay, type LocalDate } from '../core/dates.js';
import type { ActionSummary, Outcome, PointDecisionValue, RemedySummary, RemedyType } from '../core/lifecycle.js';
import { ruleSetFor, type RuleVersion } from '../core/rules.js';
import type { Role } from '../core/permissions.js';
import { SYSTEM_ACTOR, type Actor } from '../services/actor.js';
import type { Channel, ComplaintInput, ComplaintView } from '../services/complaints.js';
import { buildServices, type Services } from '../services/index.js';
import type { NeedInput, RepresentativeInput, ResidentInput } from '../services/residents.js';
import type { Settings } from '../services/settings.js';
import { formatPounds } from '../core/numbers.js';

export interface DemoOptions {
  /** Homes the landlord owns or manages. */
  homes: number;
  /** Years of history to simulate, ending on `end`. */
  years: number;
  seed: number;
  /** The simulated "today" (Europe/London date). */
  end: LocalDate;
  /** Password for every demo staff account (hashing takes time); none when absent. */
  password?: string | null;
  /** Progress messages. */
  log?: (message: string) => void;
}

export interface DemoResult {
  homes: number;
  years: number;
  seed: number;
  start: LocalDate;
  end: LocalDate;
  staff: { name: string; email: string; role: Role; team: string }[];
  /** Steps the engine refused (should be none; reported rather than hidden). */
  errors: string[];
  elapsedMs: number;
  summary: DemoSummary;
}

// ------------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (mulberry32 seeded by a string hash); never Math.random.
// ------------------------------------------------------------------------------------------------

function hash32(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0001')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  static of(...parts: (string | number)[]): Rng {
    return new Rng(hash32(...parts));
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((a, [, w]) => a + w, 0);
    let r = this.next() * total;
    for (const [v, w] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1][0];
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

// ------------------------------------------------------------------------------------------------
// Built-in word lists
// ------------------------------------------------------------------------------------------------

const FEMALE = [
  'Olivia', 'Amelia', 'Isla', 'Ava', 'Emily', 'Sophie', 'Grace', 'Lily', 'Jessica', 'Chloe', 'Sarah', 'Emma', 'Hannah', 'Laura',
  'Rebecca', 'Charlotte', 'Gemma', 'Kelly', 'Claire', 'Nicola', 'Lisa', 'Michelle', 'Donna', 'Karen', 'Julie', 'Tracey', 'Susan',
  'Linda', 'Margaret', 'Patricia', 'Jean', 'Maureen', 'Shirley', 'Sandra', 'Amina', 'Fatima', 'Ayesha', 'Zainab', 'Priya', 'Agnieszka',
  'Joanne', 'Leanne', 'Danielle', 'Stacey', 'Natalie', 'Victoria', 'Kirsty', 'Paula', 'Deborah', 'Janet',
];
const MALE = [
  'Oliver', 'George', 'Harry', 'Jack', 'Noah', 'Jacob', 'Charlie', 'Thomas', 'James', 'William', 'Daniel', 'Matthew', 'Ryan', 'Luke',
  'Adam', 'Liam', 'Craig', 'Lee', 'Darren', 'Wayne', 'Paul', 'Mark', 'Stephen', 'Andrew', 'David', 'Michael', 'John', 'Peter',
  'Robert', 'Richard', 'Brian', 'Kevin', 'Gary', 'Terry', 'Mohammed', 'Ahmed', 'Imran', 'Tariq', 'Ravi', 'Tomasz', 'Kwame',
  'Dean', 'Shaun', 'Jason', 'Anthony', 'Keith', 'Colin', 'Ian', 'Graham', 'Neil',
];
const SURNAMES = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Robinson', 'Thompson',
  'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner',
  'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott',
  'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson',
  'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams',
  'Singh', 'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali', 'Hunt', 'Hussain', 'Campbell',
  'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight', 'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens',
  'Jenkins', 'Murray', 'Dixon', 'Harvey', 'Nowak', 'Kowalski', 'Okafor', 'Mensah',
];
const STREETS = [
  'Albert Road', 'Victoria Street', 'Church Lane', 'Mill Lane', 'Station Road', 'Park View', 'Oakfield Close', 'Beech Avenue', 'Queens Road',
  'Kings Road', 'Chestnut Grove', 'Willow Way', 'Elm Drive', 'Meadow Walk', 'The Crescent', 'Manor Road', 'Grange Road', 'Springfield Road',
  'Highfield Road', 'New Street', 'Nelson Street', 'Wellington Road', 'Windsor Avenue', 'Cromwell Road', 'Hawthorn Close', 'Ash Grove',
  'Sycamore Road', 'Priory Road', 'Brook Street', 'Orchard Close', 'Cedar Court', 'Poplar Avenue', 'Rowan Drive', 'Laburnum Road',
  'Coronation Street', 'Jubilee Close', 'St Mary\'s Road', 'St John\'s Street', 'Canal Side', 'Forest Road',
];
const BLOCKS = [
  'Harrison House', 'Fairfax Court', 'Attlee House', 'Bevan Court', 'Nightingale House', 'Brunel Court', 'Telford House', 'Seacole Court',
  'Wilberforce House', 'Pankhurst Court', 'Lovelace House', 'Turing Court', 'Morris House', 'Orwell Court',
];
/** Towns of a Midlands landlord and real outward codes for them. */
const TOWNS: readonly { town: string; districts: string[]; weight: number }[] = [
  { town: 'Leicester', districts: ['LE1', 'LE2', 'LE3', 'LE4', 'LE5'], weight: 26 },
  { town: 'Loughborough', districts: ['LE11'], weight: 8 },
  { town: 'Nottingham', districts: ['NG1', 'NG2', 'NG3', 'NG5', 'NG7', 'NG8'], weight: 22 },
  { town: 'Mansfield', districts: ['NG18', 'NG19'], weight: 8 },
  { town: 'Derby', districts: ['DE1', 'DE21', 'DE22', 'DE23', 'DE24'], weight: 16 },
  { town: 'Coventry', districts: ['CV1', 'CV2', 'CV3', 'CV6'], weight: 12 },
  { town: 'Nuneaton', districts: ['CV10', 'CV11'], weight: 4 },
  { town: 'Northampton', districts: ['NN1', 'NN2', 'NN3', 'NN5'], weight: 8 },
];
/** Letters used in the inward part of a UK postcode (never C, I, K, M, O or V). */
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
/** Ofcom's numbers reserved for drama: they never reach a real person. */
const LANDLINES: Record<string, string> = {
  Leicester: '0116 496 0', Loughborough: '0116 496 0', Nottingham: '0115 496 0', Mansfield: '0115 496 0', Derby: '01632 960',
  Coventry: '0121 496 0', Nuneaton: '0121 496 0', Northampton: '01632 960',
};

const CONTRACTORS: Record<string, string[]> = {
  Repairs: ['Brightwell Property Maintenance', 'Castlegate Building Services', 'Northfield Gas & Heating', 'Trentside Roofing Ltd'],
  'Damp and mould': ['Dampcure Midlands', 'Brightwell Property Maintenance', 'Castlegate Building Services'],
  'Estate services': ['Greenway Grounds Ltd', 'Sparkle Communal Cleaning', 'Sentinel Lift Services'],
};

const LANGUAGES: readonly (readonly [string, number])[] = [
  ['Polish', 3], ['Urdu', 3], ['Punjabi', 2], ['Gujarati', 2], ['Somali', 2], ['Arabic', 2], ['Romanian', 2], ['Bengali', 1], ['Kurdish', 1],
];

// ------------------------------------------------------------------------------------------------
// Complaint content by service area
// ------------------------------------------------------------------------------------------------

interface Issue {
  category: string;
  description: string;
  understanding: string;
  sought: string;
  points: string[];
  related: string;
}

const SERVICE_AREA_WEIGHTS: readonly (readonly [string, number])[] = [
  ['Repairs', 38], ['Damp and mould', 17], ['Anti-social behaviour', 9], ['Rent and service charges', 7], ['Estate services', 8],
  ['Lettings', 4], ['Customer service', 13], ['Support services', 4],
];

const ISSUES: Record<string, Issue[]> = {
  Repairs: [
    {
      category: 'Delay',
      description: 'I reported a leak under the kitchen sink {weeks} weeks ago and it still has not been fixed. The cupboard base has rotted and I have to put towels down every day.',
      understanding: 'The resident is unhappy about the delay in repairing a leak under the kitchen sink, which has damaged the kitchen units.',
      sought: 'The leak repaired, the damaged units replaced and compensation for the delay.',
      points: ['The delay in repairing the leak under the kitchen sink', 'Damage to the kitchen units caused by the leak', 'Not being told when the repair would be done'],
      related: 'The leak has now also damaged the flooring in the hallway.',
    },
    {
      category: 'Quality of work',
      description: 'The boiler has broken down {n} times since it was "repaired". Each time we are without heating and hot water for days, and I have a baby in the house.',
      understanding: 'The resident is unhappy that repeated repairs to the boiler have not fixed it, leaving the household without heating and hot water.',
      sought: 'A new boiler and compensation for the days without heating and hot water.',
      points: ['Repeated boiler breakdowns after repairs', 'The periods without heating and hot water', 'The quality of the contractor\'s repairs'],
      related: 'Two radiators upstairs have also stopped heating up since the last visit.',
    },
    {
      category: 'Contractor',
      description: 'The operative who came to replace my back door left it not closing properly and left rubbish all over the garden. He was rude when I asked him about it.',
      understanding: 'The resident is unhappy with the back door replacement, the state the garden was left in and the operative\'s manner.',
      sought: 'The door fixed properly, the rubbish removed and an apology.',
      points: ['The back door was left not closing properly', 'Rubbish left in the garden by the operative', 'The operative\'s attitude'],
      related: 'The new door has scratched the kitchen floor tiles each time it opens.',
    },
    {
      category: 'Delay',
      description: 'Roof tiles are missing and rain comes into the back bedroom whenever it is windy. I was told scaffolding would go up {weeks} weeks ago and nobody has come.',
      understanding: 'The resident is unhappy about the time taken to repair the roof, which lets water into the back bedroom.',
      sought: 'The roof repaired and the bedroom ceiling made good.',
      points: ['The delay in repairing the roof', 'Water coming into the back bedroom', 'The scaffolding appointment that was not kept'],
      related: 'The bedroom ceiling plaster has now started to come down.',
    },
    {
      category: 'Communication',
      description: 'My repair appointment was cancelled twice without anyone telling me and I took two days off work unpaid to wait in.',
      understanding: 'The resident is unhappy that repair appointments were cancelled without notice, causing lost earnings.',
      sought: 'A firm appointment and payment for the lost wages.',
      points: ['Repair appointments cancelled without notice', 'Loss of earnings from time off work'],
      related: 'A third appointment has now been missed.',
    },
    {
      category: 'Delay',
      description: 'The bathroom extractor fan has not worked since I moved in and every time I call I am told the part is on order.',
      understanding: 'The resident is unhappy about the time taken to repair the bathroom extractor fan.',
      sought: 'A working extractor fan fitted.',
      points: ['The delay in repairing the extractor fan', 'Being told repeatedly that the part was on order'],
      related: 'There is now mould on the bathroom ceiling.',
    },
    {
      category: 'Quality of work',
      description: 'The kitchen fitted last year is already falling apart: the worktop is lifting and two cupboard doors have come off.',
      understanding: 'The resident is unhappy with the quality of the kitchen fitted last year.',
      sought: 'The kitchen put right properly.',
      points: ['The quality of the new kitchen', 'The response when the resident reported the faults'],
      related: 'The sink is now coming away from the worktop.',
    },
    {
      category: 'Delay',
      description: 'The door entry system to our block has been broken for {weeks} weeks. Anyone can walk in, and my mother cannot buzz up when she visits.',
      understanding: 'The resident is unhappy that the door entry system to the block has been out of order for weeks.',
      sought: 'The door entry system repaired and the block made secure.',
      points: ['The delay in repairing the door entry system', 'The security of the block while it is broken'],
      related: 'Someone has since been sleeping in the bin store because the door is open.',
    },
  ],
  'Damp and mould': [
    {
      category: 'Delay',
      description: 'There is black mould in the children\'s bedroom and the bathroom and my youngest keeps getting chest infections. I was told to open the windows and wipe it down but it comes back every week.',
      understanding: 'The resident is unhappy with how reports of damp and mould in the bedroom and bathroom have been dealt with, and is worried about the children\'s health.',
      sought: 'The cause of the mould found and fixed, and the family moved out while the works are done if needed.',
      points: ['The response to the reports of damp and mould', 'The effect on the children\'s health', 'Being told the mould was caused by the household\'s lifestyle'],
      related: 'The mould has spread to the children\'s clothes and a mattress.',
    },
    {
      category: 'Quality of work',
      description: 'A mould wash was done in {month} but nobody came back to fix the cause and the mould is back worse than before.',
      understanding: 'The resident is unhappy that the mould returned after treatment because the cause was not investigated.',
      sought: 'A proper investigation of the cause and a lasting repair.',
      points: ['The mould returned after treatment', 'The cause of the damp was not investigated', 'No follow-up inspection'],
      related: 'The plaster behind the wardrobe is now crumbling.',
    },
    {
      category: 'Delay',
      description: 'Damp is coming through the wall in the living room. It has ruined the carpet and the back of the sofa and the room smells all the time.',
      understanding: 'The resident is unhappy about penetrating damp in the living room wall and the damage it has caused.',
      sought: 'The wall repaired and compensation for the carpet and sofa.',
      points: ['Penetrating damp in the living room wall', 'Damage to the resident\'s carpet and furniture', 'The time taken to inspect'],
      related: 'The damp has now reached the electrical socket on that wall.',
    },
    {
      category: 'Communication',
      description: 'The surveyor said he would send a report and book the works. That was {weeks} weeks ago and I have heard nothing since.',
      understanding: 'The resident is unhappy that there has been no contact since the damp survey and no works have been booked.',
      sought: 'A copy of the survey and a date for the works.',
      points: ['No contact after the damp survey', 'No works booked after the survey'],
      related: 'Nobody has replied to the resident\'s emails chasing the survey.',
    },
    {
      category: 'Contractor',
      description: 'The contractor painted over the mould with anti-mould paint and left. It has come straight back through the paint.',
      understanding: 'The resident is unhappy that the contractor only painted over the mould.',
      sought: 'The mould treated properly and the cause dealt with.',
      points: ['The contractor painted over the mould without treating the cause', 'The mould came back within weeks'],
      related: 'The new paint is now peeling in the bedroom as well.',
    },
    {
      category: 'Policy or decision',
      description: 'I was told the condensation is my fault for drying clothes indoors, but I have nowhere else to dry them and the windows run with water every morning.',
      understanding: 'The resident disagrees with being told that the condensation is caused by the household\'s lifestyle.',
      sought: 'The ventilation in the flat improved and an apology.',
      points: ['Being blamed for the condensation', 'The ventilation in the flat'],
      related: 'The window seals have now blackened and let in draughts.',
    },
  ],
  'Anti-social behaviour': [
    {
      category: 'Policy or decision',
      description: 'My ASB case about noise from next door was closed without anyone telling me, and the loud music until 3am has carried on.',
      understanding: 'The resident is unhappy that the anti-social behaviour case was closed without telling them while the noise continues.',
      sought: 'The case reopened and action taken about the noise.',
      points: ['The ASB case was closed without telling the resident', 'No action taken about the late-night noise'],
      related: 'The neighbour has now started shouting abuse at the resident.',
    },
    {
      category: 'Delay',
      description: 'People are dealing drugs in the stairwell and I have reported it {n} times without any action.',
      understanding: 'The resident is unhappy about the lack of action on repeated reports of drug dealing in the stairwell.',
      sought: 'Action to stop the dealing, CCTV in the stairwell and regular updates.',
      points: ['The response to repeated reports of drug dealing', 'The security of the stairwell'],
      related: 'Needles have been found in the stairwell.',
    },
    {
      category: 'Communication',
      description: 'I was promised a call from the neighbourhood officer every week and have had one call in {weeks} weeks.',
      understanding: 'The resident is unhappy that the agreed weekly calls about their ASB case have not happened.',
      sought: 'The weekly updates that were promised.',
      points: ['Weekly updates not given as agreed'],
      related: 'The resident\'s emails to the neighbourhood officer have gone unanswered.',
    },
    {
      category: 'Staff conduct',
      description: 'The housing officer told me to "just ignore" my neighbour\'s threats and said there was nothing she could do.',
      understanding: 'The resident is unhappy with the housing officer\'s response to threats from a neighbour.',
      sought: 'A different officer and a proper risk assessment.',
      points: ['The housing officer\'s response to the threats', 'No risk assessment carried out'],
      related: 'The neighbour has made further threats since the complaint.',
    },
  ],
  'Rent and service charges': [
    {
      category: 'Charges',
      description: 'I am being charged for communal gardening that has not happened once this year.',
      understanding: 'The resident disputes the service charge for communal gardening, which they say has not been provided.',
      sought: 'A refund of the gardening charge.',
      points: ['The service charge for gardening not provided'],
      related: 'The window cleaning charge also seems to be for a service not provided.',
    },
    {
      category: 'Charges',
      description: 'My rent account shows arrears I do not owe: two payments made in {month} were not credited.',
      understanding: 'The resident says two rent payments were not credited to their account, showing false arrears.',
      sought: 'The account corrected and the arrears letters withdrawn.',
      points: ['Payments not credited to the rent account', 'Arrears letters sent in error'],
      related: 'A further arrears letter has arrived since the complaint was made.',
    },
    {
      category: 'Communication',
      description: 'I was not told about the increase in my service charge and the letter I eventually got had the wrong amount on it.',
      understanding: 'The resident is unhappy about how the service charge increase was communicated and that the letter was wrong.',
      sought: 'A correct statement and an explanation of the charge.',
      points: ['Notice of the service charge increase', 'The wrong amount in the letter'],
      related: 'The direct debit was changed to the wrong amount as well.',
    },
    {
      category: 'Policy or decision',
      description: 'I was threatened with court action over arrears while my housing benefit claim was still being processed.',
      understanding: 'The resident is unhappy that arrears action was threatened while their housing benefit claim was pending.',
      sought: 'The arrears action stopped and an apology.',
      points: ['Arrears action while a benefit claim was pending'],
      related: 'A notice of seeking possession has since been received.',
    },
  ],
  'Estate services': [
    {
      category: 'Quality of work',
      description: 'The communal areas have not been cleaned for weeks and the bin store is overflowing.',
      understanding: 'The resident is unhappy with the standard of communal cleaning and the state of the bin store.',
      sought: 'Cleaning done to the schedule and a refund of part of the charge.',
      points: ['The standard of communal cleaning', 'The overflowing bin store'],
      related: 'There are now rats in the bin store.',
    },
    {
      category: 'Contractor',
      description: 'The grass in the communal garden has not been cut all summer although we pay for it.',
      understanding: 'The resident is unhappy that the grounds maintenance contractor has not cut the communal grass.',
      sought: 'The grass cut and the charge refunded.',
      points: ['The grounds maintenance contractor\'s performance', 'Paying for a service not received'],
      related: 'The hedges are now blocking the path.',
    },
    {
      category: 'Delay',
      description: 'The lift in our block has been out of action for {weeks} weeks and I live on the seventh floor with a heart condition.',
      understanding: 'The resident is unhappy that the lift has been out of order for weeks, leaving them unable to get in and out safely.',
      sought: 'The lift repaired and help in the meantime.',
      points: ['The time taken to repair the lift', 'No help offered to residents who cannot use the stairs'],
      related: 'The second lift has now also broken down.',
    },
    {
      category: 'Delay',
      description: 'Fly-tipping behind the block has been reported several times and has not been removed. There are now rats.',
      understanding: 'The resident is unhappy that reported fly-tipping has not been removed.',
      sought: 'The rubbish removed and pest control.',
      points: ['The fly-tipping not removed', 'Rats around the block'],
      related: 'More rubbish has been dumped in the same place.',
    },
  ],
  Lettings: [
    {
      category: 'Quality of work',
      description: 'The flat I moved into was dirty, the kitchen was damaged and the heating did not work, yet I was told it met the lettable standard.',
      understanding: 'The resident is unhappy with the condition of the home when they moved in.',
      sought: 'The defects repaired and compensation for the cleaning.',
      points: ['The condition of the home at the start of the tenancy', 'No working heating when the resident moved in'],
      related: 'The electrics have also failed an inspection.',
    },
    {
      category: 'Delay',
      description: 'My transfer application has not been looked at for months and nobody answers my emails.',
      understanding: 'The resident is unhappy about the delay in dealing with their transfer application.',
      sought: 'A decision on the transfer.',
      points: ['The delay in assessing the transfer application', 'Emails not answered'],
      related: 'The resident\'s medical evidence has not been considered.',
    },
    {
      category: 'Policy or decision',
      description: 'I was refused a move to a ground floor flat despite my mobility needs.',
      understanding: 'The resident disagrees with the decision to refuse a move to a ground-floor home.',
      sought: 'The decision reviewed.',
      points: ['The decision to refuse a ground-floor move'],
      related: 'The resident has since had a fall on the stairs.',
    },
  ],
  'Customer service': [
    {
      category: 'Communication',
      description: 'I have called the contact centre five times about my repair and each time I was told someone would call me back. Nobody has.',
      understanding: 'The resident is unhappy that promised call-backs from the contact centre did not happen.',
      sought: 'A call back and an update on the repair.',
      points: ['Call-backs promised and not made', 'No update on the repair'],
      related: 'The resident was cut off while on hold for 40 minutes.',
    },
    {
      category: 'Staff conduct',
      description: 'The member of staff I spoke to on the phone was rude, talked over me and then hung up.',
      understanding: 'The resident is unhappy with the way a member of staff spoke to them on the phone.',
      sought: 'An apology and the call reviewed.',
      points: ['The member of staff\'s manner on the call'],
      related: 'The same member of staff was dismissive on a later call.',
    },
    {
      category: 'Delay',
      description: 'I sent emails on {date1} and {date2} and have not had a reply to either.',
      understanding: 'The resident is unhappy that their emails have not been answered.',
      sought: 'Replies to the emails.',
      points: ['Emails not answered'],
      related: 'A letter sent since has not been answered either.',
    },
    {
      category: 'Communication',
      description: 'I asked for letters in large print and you keep sending standard letters that I cannot read.',
      understanding: 'The resident is unhappy that their request for large-print letters has not been followed.',
      sought: 'All letters in large print from now on.',
      points: ['The reasonable adjustment not followed'],
      related: 'The tenancy agreement sent since was also in standard print.',
    },
    {
      category: 'Staff conduct',
      description: 'A member of staff discussed my rent arrears in front of my neighbour in the reception area.',
      understanding: 'The resident is unhappy that a member of staff discussed their arrears where others could hear.',
      sought: 'An apology and assurance it will not happen again.',
      points: ['Personal information discussed in public'],
      related: 'The neighbour has since repeated what they heard to others.',
    },
  ],
  'Support services': [
    {
      category: 'Communication',
      description: 'My support worker stopped visiting without explanation and I was not told who would replace her.',
      understanding: 'The resident is unhappy that support visits stopped without explanation.',
      sought: 'Support visits restarted.',
      points: ['Support visits stopped without notice'],
      related: 'The resident has missed a benefits appointment without the support.',
    },
    {
      category: 'Delay',
      description: 'Nobody answered the alarm call when I fell in my flat in the sheltered scheme. I was on the floor for two hours.',
      understanding: 'The resident is unhappy that the emergency alarm call was not answered when they fell.',
      sought: 'An explanation and assurance the alarm will be answered.',
      points: ['The alarm call was not answered', 'The time the resident was left on the floor'],
      related: 'The pendant alarm has since stopped working altogether.',
    },
    {
      category: 'Policy or decision',
      description: 'My support hours have been cut without any review or discussion with me.',
      understanding: 'The resident disagrees with the reduction in support hours.',
      sought: 'The support hours reviewed with them.',
      points: ['Support hours reduced without review'],
      related: 'The resident\'s care plan has not been updated.',
    },
  ],
};

const EXTRA_POINTS = [
  'Not being kept informed about progress',
  'Calls and emails not returned',
  'How the resident\'s earlier reports were handled',
  'Missed appointments',
  'The time taken to respond to the first report',
];

const OUTSIDE_RESPONSIBILITY: readonly { summary: string; note: string }[] = [
  { summary: 'Noise from a privately owned flat in the next block', note: 'The flat is privately owned: statutory noise nuisance is for the council\'s environmental health team, which we have referred the resident to.' },
  { summary: 'The state of the footpath outside the estate', note: 'The footpath is adopted highway maintained by the county council; we have reported it on the resident\'s behalf.' },
  { summary: 'Delays to the resident\'s Universal Credit housing element', note: 'Universal Credit is administered by the Department for Work and Pensions.' },
  { summary: 'Street lighting on the main road', note: 'Street lighting on the public road is the county council\'s responsibility.' },
  { summary: 'The gas supply pipe in the street', note: 'The gas main belongs to Cadent Gas, the gas network operator; the resident has been given its emergency number.' },
  { summary: 'The resident\'s home contents insurance claim', note: 'Contents insurance is between the resident and their insurer.' },
];

/** Per service area: the policy a decision cites, follow-up actions and case notes. */
const AREA_DETAIL: Record<string, { policy: string; head: string; actions: { description: string; owner: string }[]; notes: string[] }> = {
  Repairs: {
    head: 'Head of Repairs',
    policy: 'repairs policy',
    actions: [
      { description: 'Complete the outstanding repair and send the resident completion photographs', owner: 'Repairs team' },
      { description: 'Post-inspection of the completed works by a repairs supervisor', owner: 'Repairs team' },
    ],
    notes: ['Visited the property with the repairs surveyor. Photographs saved to the case.', 'Asked the repairs team for the job history and call logs for the last 12 months.', 'Chased {contractor} for the job records and completion photographs.'],
  },
  'Damp and mould': {
    head: 'Head of Repairs',
    policy: 'damp and mould policy',
    actions: [
      { description: 'Follow-up damp inspection six weeks after the works', owner: 'Damp and mould surveyor' },
      { description: 'Fit humidity-controlled extractor fans in the bathroom and kitchen', owner: 'Damp and mould surveyor' },
    ],
    notes: ['Damp survey carried out: moisture readings high on the external wall. Report saved to the case.', 'Mould wash booked as an interim measure while the cause is investigated.', 'Asked the surveyor whether the household needs a temporary move during the works.'],
  },
  'Anti-social behaviour': {
    head: 'Head of Neighbourhoods',
    policy: 'anti-social behaviour policy',
    actions: [
      { description: 'Meet the resident to agree an action plan and how often they will be contacted', owner: 'Neighbourhood officer' },
      { description: 'Review the case with the police at the next joint meeting', owner: 'Community safety team' },
    ],
    notes: ['Reviewed the ASB case file and diary sheets with the neighbourhood officer.', 'Police reference numbers checked with the local policing team.', 'Risk assessment matrix completed with the resident by phone.'],
  },
  'Rent and service charges': {
    head: 'Head of Income',
    policy: 'rent and service charges policy',
    actions: [
      { description: 'Send the resident a corrected rent statement', owner: 'Income team' },
      { description: 'Refund the overcharged service charge and confirm in writing', owner: 'Service charge team' },
    ],
    notes: ['Checked the rent account transactions against the resident\'s bank statement.', 'Asked the service charge team for the contract specification and visit logs.'],
  },
  'Estate services': {
    head: 'Head of Estate Services',
    policy: 'estate services standards',
    actions: [
      { description: 'Check the cleaning schedule is met for the next three months and report to the resident', owner: 'Estate services manager' },
      { description: 'Clear the bin store and arrange pest control', owner: 'Estate services manager' },
    ],
    notes: ['Estate inspection carried out with the caretaker; photographs saved to the case.', 'Asked {contractor} for the visit logs for the last quarter.'],
  },
  Lettings: {
    head: 'Head of Lettings',
    policy: 'lettings policy',
    actions: [
      { description: 'Complete the outstanding works from the void inspection', owner: 'Voids team' },
      { description: 'Review the transfer application with the medical evidence', owner: 'Lettings team' },
    ],
    notes: ['Checked the void inspection sheet and sign-off photographs.', 'Asked the lettings team for the application history.'],
  },
  'Customer service': {
    head: 'Head of Customer Services',
    policy: 'customer service standards',
    actions: [
      { description: 'Review the call recordings with the team and share the learning', owner: 'Contact centre manager' },
      { description: 'Record the resident\'s contact preferences in every system', owner: 'Contact centre manager' },
    ],
    notes: ['Listened to the call recordings from the dates the resident gave.', 'Spoke to the contact centre team leader about the missed call-backs.'],
  },
  'Support services': {
    head: 'Head of Support Services',
    policy: 'support services policy',
    actions: [
      { description: 'Agree a new support plan with the resident', owner: 'Support services manager' },
      { description: 'Test the alarm call system at the scheme and report the results', owner: 'Support services manager' },
    ],
    notes: ['Checked the alarm call logs for the night in question.', 'Spoke to the support worker\'s line manager.'],
  },
};

const SR_DESCRIPTIONS: Record<string, string[]> = {
  Repairs: [
    'Kitchen tap dripping constantly', 'Boiler showing a fault code: no heating or hot water', 'Blocked kitchen sink', 'Bedroom window will not close',
    'Toilet cistern running constantly', 'Front door lock stiff and hard to turn', 'Fence panel blown down in the back garden',
    'Leak from the flat above coming through the bathroom ceiling', 'Electric socket in the living room scorched', 'Loose stair handrail',
    'Shower not working', 'Back door letting in draughts', 'Door entry handset not working', 'Extractor fan in bathroom not working',
    'Roof tiles missing after the storm', 'Guttering overflowing at the front',
  ],
  'Damp and mould': ['Black mould on the bedroom ceiling', 'Condensation on all windows and mould around the frames', 'Damp patch spreading on the living room wall', 'Musty smell and mould in the kitchen cupboards'],
  'Estate services': ['Bin store overflowing', 'Communal lights out on the third-floor landing', 'Fly-tipped mattress by the garages', 'Graffiti on the side of the block', 'Communal entrance door not closing', 'Lift out of order'],
  'Anti-social behaviour': ['Loud music from the neighbouring flat late at night', 'Dog fouling in the communal garden', 'Youths gathering in the stairwell', 'Neighbour\'s car blocking access'],
  'Rent and service charges': ['Request for a rent statement', 'Change of direct debit date', 'Query about the service charge increase'],
  Lettings: ['Mutual exchange enquiry', 'Transfer application update'],
  'Customer service': ['Change of contact details', 'Request for a copy of the tenancy agreement'],
  'Support services': ['Pendant alarm not working', 'Request for a support needs assessment'],
};
const SR_AREA_WEIGHTS: readonly (readonly [string, number])[] = [
  ['Repairs', 62], ['Damp and mould', 12], ['Estate services', 10], ['Anti-social behaviour', 8], ['Rent and service charges', 5],
  ['Lettings', 1], ['Customer service', 1], ['Support services', 1],
];

const COMPLAINT_CHANNELS: readonly (readonly [Channel, number])[] = [
  ['phone', 38], ['email', 24], ['web', 20], ['letter', 5], ['in_person', 4], ['social_media', 4], ['text', 3], ['other', 2],
];
const OUT_OF_HOURS_CHANNELS: readonly (readonly [Channel, number])[] = [['email', 45], ['web', 45], ['social_media', 10]];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** More complaints in winter (heating, damp and mould), fewer in late summer. */
const SEASON = [1.15, 1.1, 1.05, 0.95, 0.9, 0.9, 0.9, 0.85, 0.95, 1.05, 1.1, 0.95];

const CONFLICT_STATEMENT = 'No conflict of interest: I have no personal connection with the resident and was not involved in the matters complained about.';

// ------------------------------------------------------------------------------------------------
// The event queue
// ------------------------------------------------------------------------------------------------

interface Task {
  t: number;
  seq: number;
  name: string;
  run: () => Promise<void>;
}

class Queue {
  private heap: Task[] = [];
  get size() {
    return this.heap.length;
  }
  private less(a: Task, b: Task) {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }
  push(task: Task) {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Task | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
  peek(): Task | undefined {
    return this.heap[0];
  }
}

// ------------------------------------------------------------------------------------------------
// The simulation
// ------------------------------------------------------------------------------------------------

const MIN = 60_000;
const DAY = 86_400_000;

interface Staff {
  id: string;
  name: string;
  email: string;
  role: Role;
  team: string;
  actor: Actor;
}

interface Resident {
  id: string;
  name: string;
  email: string | null;
  preferred: 'email' | 'phone' | 'letter' | 'text';
  home: number;
  vulnerable: boolean;
  need: string | null;
  adjustment: string | null;
  representativeId: string | null;
  complaints: string[];
  hasServiceRequest: boolean;
}

interface ServiceRequest {
  id: string;
  version: number;
  residentId: string;
  area: string;
  receivedMs: number;
  open: boolean;
  complaintRaised: boolean;
  holdUntilMs: number;
  keepOpen: boolean;
}

type Fate = 'normal' | 'refuse' | 'withdraw';

interface PlannedComplaint {
  index: number;
  receivedMs: number;
  loggedMs: number;
  channel: Channel;
  area: string;
  issue: Issue;
  fate: Fate;
  lateAccepted: boolean;
  anonymous: boolean;
  relatedJoin: boolean;
  relatedNew: boolean;
  reassign: boolean;
}

interface Case {
  plan: PlannedComplaint;
  rng: Rng;
  id: string;
  ref: string;
  version: number;
  view: ComplaintView;
  resident: Resident | null;
  /** Everyone who has handled stage 1 (the Code forbids them at stage 2). */
  stage1Handlers: Set<string>;
  handler: Staff | null;
  counted: boolean;
  points: { summary: string; landlordResponsible: boolean; responsibilityNote?: string | null }[];
  refuseGround: string | null;
  earlierRef: string | null;
  notesWritten: Set<string>;
}

function fill(text: string, rng: Rng, today: LocalDate): string {
  return text
    .replace('{weeks}', String(rng.int(3, 14)))
    .replace('{n}', String(rng.int(3, 7)))
    .replace('{month}', MONTHS[Number(addDays(today, -rng.int(30, 150)).slice(5, 7)) - 1])
    .replace('{date1}', longDate(addDays(today, -rng.int(25, 40))))
    .replace('{date2}', longDate(addDays(today, -rng.int(5, 20))));
}

function longDate(d: LocalDate): string {
  return `${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1]} ${d.slice(0, 4)}`;
}

function pounds(pence: number): string {
  return formatPounds(pence, { pence: 'when-needed' });
}

function lcFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

class DemoRun {
  private nowMs: number;
  private readonly services: Services;
  private cal!: WorkingDayCalendar;
  private settings!: Settings;
  private readonly queue = new Queue();
  private seq = 0;
  private readonly errors: string[] = [];
  private readonly rng: Rng;

  private manager!: Staff;
  private handlers: Staff[] = [];
  private staff: Staff[] = [];
  private governance!: Staff;
  private readonly load = new Map<string, number>();

  private readonly residents: Resident[] = [];
  private readonly residentById = new Map<string, Resident>();
  private readonly byHome = new Map<number, Resident>();
  private readonly complainants: Resident[] = [];
  private readonly srResidentsWithoutComplaint: Resident[] = [];
  private readonly openSrs = new Map<string, ServiceRequest[]>();
  private readonly cases: Case[] = [];
  private complaintsLogged = 0;
  private plannedTotal = 0;
  private readonly startedAt = Date.now();

  readonly start: LocalDate;
  private readonly endMs: number;

  constructor(
    private readonly db: Db,
    private readonly opts: DemoOptions,
  ) {
    this.rng = Rng.of('putright-demo', opts.seed);
    const months = Math.max(1, Math.round(opts.years * 12));
    this.start = addDays(addMonths(opts.end, -months), 1);
    this.endMs = this.at(opts.end, 17 * 60 + 30);
    this.nowMs = this.at(addDays(this.start, -100), 8 * 60);
    this.services = buildServices(db, () => new Date(this.nowMs));
  }

  // ---------------------------------------------------------------- time

  private at(d: LocalDate, minutes: number): number {
    return londonStartOfDay(d).getTime() + minutes * MIN;
  }
  private today(): LocalDate {
    return londonDateOf(new Date(this.nowMs));
  }
  private dateOf(ms: number): LocalDate {
    return londonDateOf(new Date(ms));
  }
  private iso(ms = this.nowMs): string {
    return new Date(ms).toISOString();
  }
  private wd(d: LocalDate, n: number): LocalDate {
    return this.cal.addWorkingDays(d, n);
  }
  private wdBack(d: LocalDate, n: number): LocalDate {
    let x = d;
    while (n > 0) {
      x = addDays(x, -1);
      if (this.cal.isWorkingDay(x)) n--;
    }
    return x;
  }
  private maxDate(a: LocalDate, b: LocalDate): LocalDate {
    return a > b ? a : b;
  }
  /** An instant in office hours on day d, after `after`. */
  private officeTime(rng: Rng, d: LocalDate, after: number, from = 9 * 60, to = 16 * 60 + 45): number {
    let t = this.at(d, rng.int(from, to));
    if (t <= after) t = after + rng.int(10, 90) * MIN;
    return t;
  }

  private schedule(t: number, name: string, run: () => Promise<void>) {
    this.queue.push({ t: Math.max(t, this.nowMs + 1000), seq: this.seq++, name, run });
  }

  // ---------------------------------------------------------------- entry point

  async run(): Promise<{ staff: Staff[]; errors: string[] }> {
    this.cal = await this.services.settings.calendar();
    this.settings = await this.services.settings.get();
    await this.createStaff();
    this.planServiceRequests();
    this.planComplaints();
    while (this.queue.size > 0) {
      const task = this.queue.peek()!;
      if (task.t > this.endMs) break;
      this.queue.pop();
      this.nowMs = Math.max(this.nowMs, task.t);
      try {
        await task.run();
      } catch (err) {
        const msg = `${this.today()} ${task.name}: ${(err as Error).message}`;
        this.errors.push(msg);
        if (this.errors.length <= 5) this.opts.log?.(`warning: ${msg}`);
      }
    }
    this.nowMs = this.endMs;
    return { staff: [this.manager, ...this.handlers, ...this.staff, this.governance], errors: this.errors };
  }

  // ---------------------------------------------------------------- staff

  private async createStaff() {
    const rng = Rng.of('staff', this.opts.seed);
    const used = new Set<string>();
    const existing = new Map((await this.services.users.list()).map((u) => [u.email, u]));
    const make = async (role: Role, team: string): Promise<Staff> => {
      let given: string;
      let family: string;
      do {
        given = rng.pick(rng.chance(0.5) ? FEMALE : MALE);
        family = rng.pick(SURNAMES);
      } while (used.has(`${given} ${family}`));
      used.add(`${given} ${family}`);
      const email = `${given}.${family}@example.org.uk`.toLowerCase().replace(/[^a-z0-9.@-]/g, '');
      const name = `${given} ${family}`;
      const found = existing.get(email);
      const u = found ?? (await this.services.users.create(SYSTEM_ACTOR, { email, name, role, team, password: this.opts.password ?? null }));
      return { id: u.id, name: u.name, email, role, team, actor: { id: u.id, name: u.name, role } };
    };
    this.manager = await make('manager', 'Complaints and Resolution');
    const nHandlers = Math.max(3, Math.round(this.opts.homes / 2500));
    for (let i = 0; i < nHandlers; i++) this.handlers.push(await make('handler', 'Complaints and Resolution'));
    const nStaff = Math.min(12, 3 + Math.round(this.opts.homes / 5000));
    const teams = ['Customer Contact Centre', 'Customer Contact Centre', 'Housing Management', 'Repairs', 'Customer Contact Centre', 'Housing Management'];
    for (let i = 0; i < nStaff; i++) this.staff.push(await make('staff', teams[i % teams.length]));
    this.governance = await make('governance', 'Board (Member Responsible for Complaints)');
    for (const s of [this.manager, ...this.handlers]) this.load.set(s.id, 0);
  }

  private chooseHandler(rng: Rng, exclude: Set<string>, managerShare = 0): Staff {
    if (managerShare > 0 && !exclude.has(this.manager.id) && rng.chance(managerShare)) return this.manager;
    const candidates = this.handlers.filter((h) => !exclude.has(h.id));
    if (candidates.length === 0) return this.manager;
    const min = Math.min(...candidates.map((h) => this.load.get(h.id) ?? 0));
    return rng.pick(candidates.filter((h) => (this.load.get(h.id) ?? 0) <= min + 1));
  }

  private loggerFor(rng: Rng): Staff {
    return rng.chance(0.65) ? rng.pick(this.staff.filter((s) => s.team === 'Customer Contact Centre')) : rng.pick(this.handlers);
  }

  // ---------------------------------------------------------------- residents

  private freeHome(rng: Rng): number {
    for (let i = 0; i < 50; i++) {
      const h = rng.int(1, this.opts.homes);
      if (!this.byHome.has(h)) return h;
    }
    return rng.int(1, this.opts.homes);
  }

  private address(home: number) {
    const r = Rng.of('home', this.opts.seed, home);
    const t = r.weighted(TOWNS.map((x) => [x, x.weight] as const));
    const district = r.pick(t.districts);
    const postcode = `${district} ${r.int(1, 9)}${INWARD_LETTERS[r.int(0, 19)]}${INWARD_LETTERS[r.int(0, 19)]}`;
    const flat = r.chance(0.4);
    const street = r.pick(STREETS);
    const tenure = r.weighted([['LCRA', 85], ['LCHO', 10], ['other', 5]] as const);
    return {
      addressLine1: flat ? `Flat ${r.int(1, 48)}, ${r.pick(BLOCKS)}` : `${r.int(1, 180)} ${street}`,
      addressLine2: flat ? street : null,
      town: t.town,
      postcode,
      propertyReference: `PR${String(home).padStart(6, '0')}`,
      tenure,
    };
  }

  private async newResident(rng: Rng, home = this.freeHome(rng)): Promise<Resident> {
    const female = rng.chance(0.58);
    const given = rng.pick(female ? FEMALE : MALE);
    const family = rng.pick(SURNAMES);
    const title = rng.weighted<string | null>(female ? [['Mrs', 35], ['Ms', 30], ['Miss', 20], ['Mx', 2], [null, 13]] : [['Mr', 85], ['Mx', 2], [null, 13]]);
    const addr = this.address(home);
    const hasEmail = rng.chance(0.72);
    const email = hasEmail ? `${given}.${family}${rng.int(1, 99)}@example.com`.toLowerCase() : null;
    const preferred = rng.weighted<'email' | 'phone' | 'letter' | 'text'>(
      hasEmail ? [['email', 50], ['phone', 35], ['letter', 8], ['text', 7]] : [['phone', 70], ['letter', 20], ['text', 10]],
    );
    const language = rng.chance(0.08) ? rng.weighted(LANGUAGES) : null;
    const communicationNeeds: string[] = [];
    if (language) communicationNeeds.push(`Interpreter: ${language}`);
    const landline = LANDLINES[addr.town] ?? '01632 960';
    const phone = rng.chance(0.8) ? `07700 900${String(rng.int(0, 999)).padStart(3, '0')}` : `${landline}${String(rng.int(0, 999)).padStart(3, '0')}`;
    const input: ResidentInput = {
      title,
      givenName: given,
      familyName: family,
      email,
      phone,
      addressLine1: addr.addressLine1,
      addressLine2: addr.addressLine2,
      town: addr.town,
      postcode: addr.postcode,
      propertyReference: addr.propertyReference,
      tenure: addr.tenure,
      preferredContact: preferred,
      communicationNeeds,
      language: language ?? 'English',
    };
    const actor = rng.pick(this.staff).actor;
    const row = await this.db.transaction().execute((trx) => this.services.complaints.residents.createIn(trx, actor, input));
    const today = this.today();
    const res: Resident = {
      id: row.id,
      name: [title, given, family].filter(Boolean).join(' '),
      email,
      preferred,
      home,
      vulnerable: false,
      need: null,
      adjustment: null,
      representativeId: null,
      complaints: [],
      hasServiceRequest: false,
    };
    // Vulnerabilities, disabilities and reasonable adjustments, with review dates.
    const needs: NeedInput[] = [];
    if (rng.chance(0.14)) {
      const d = rng.pick([
        'Lives alone and was recently bereaved',
        'Mental health: anxiety and depression, under the care of the GP',
        'Over 80 and lives alone',
        'Pregnant; baby due in the spring',
        'Young children in the household (under 5): relevant to damp and mould',
        'Fleeing domestic abuse; do not disclose address',
        'Recently discharged from hospital after a stroke',
        'Care leaver, first tenancy',
      ]);
      needs.push({ kind: 'vulnerability', description: d, disclosedOn: addDays(today, -rng.int(0, 400)), reviewOn: null });
    }
    if (rng.chance(0.09)) {
      const d = rng.pick(['Wheelchair user', 'Visual impairment (registered partially sighted)', 'Chronic respiratory condition (COPD)', 'Profoundly deaf; uses BSL', 'Learning disability', 'Asthma (severe) in the household']);
      needs.push({ kind: 'disability', description: d, disclosedOn: addDays(today, -rng.int(0, 700)), reviewOn: null });
    }
    if (needs.length > 0 || rng.chance(0.05)) {
      if (rng.chance(0.7)) {
        const d = rng.pick([
          'Letters in large print (18 point)',
          'Phone calls only after 10am',
          'Contact by email only',
          'BSL interpreter for visits and meetings',
          'Allow extra time to reply to letters',
          'Call a named family member before visiting',
          'Visits with two staff members, by appointment only',
        ]);
        needs.push({ kind: 'adjustment', description: d, disclosedOn: addDays(today, -rng.int(0, 300)), reviewOn: null });
      }
    }
    for (const n of needs) {
      // Review six or twelve months after disclosure; some reviews are already overdue.
      n.reviewOn = addMonths(n.disclosedOn!, rng.chance(0.5) ? 6 : 12);
      await this.services.complaints.residents.addNeed(actor, res.id, n);
      if (n.kind === 'adjustment') res.adjustment = n.description;
      else {
        res.vulnerable = true;
        res.need = res.need ?? n.description;
      }
    }
    // A few contact restrictions: about one resident in 200.
    if (this.residents.length % 200 === 40) {
      await this.services.complaints.residents.addRestriction(this.manager.actor, res.id, {
        restriction: 'Contact by email to the complaints team only; no visits to the office without an appointment',
        reason: 'Repeated abusive and threatening phone calls to contact centre staff, recorded on the call system',
        proportionality: 'The resident can still raise repairs and complaints by email at any time; emergency repairs by phone are unaffected',
        equalityConsiderations: 'No disability or other protected characteristic affecting the resident\'s use of email has been disclosed; to be reconsidered if one is',
        startsOn: today,
        reviewOn: addMonths(today, 3),
      });
    }
    this.residents.push(res);
    this.residentById.set(res.id, res);
    this.byHome.set(home, res);
    return res;
  }

  // ---------------------------------------------------------------- service requests

  private planServiceRequests() {
    const rng = Rng.of('sr-plan', this.opts.seed);
    const from = addDays(this.start, -90);
    const perYear = this.opts.homes * 0.2;
    const total = Math.round((perYear * (daysBetween(from, this.opts.end) + 1)) / 365.25);
    const days = this.weightedDays(from, this.opts.end, 0.2);
    for (let i = 0; i < total; i++) {
      const d = this.sampleDay(rng, days);
      const working = this.cal.isWorkingDay(d);
      const receivedMs = this.at(d, working ? rng.int(8 * 60, 18 * 60) : rng.int(8 * 60, 22 * 60));
      const loggedMs = working && receivedMs < this.at(d, 17 * 60) ? receivedMs + rng.int(2, 40) * MIN : this.at(this.cal.nextWorkingDay(d), rng.int(9 * 60, 12 * 60));
      const srRng = Rng.of('sr', this.opts.seed, i);
      this.schedule(loggedMs, `service request ${i}`, () => this.serviceRequestArrives(srRng, receivedMs));
    }
  }

  private async serviceRequestArrives(rng: Rng, receivedMs: number) {
    const resident = this.residents.length > 20 && rng.chance(0.4) ? rng.pick(this.residents) : await this.newResident(rng);
    const area = rng.weighted(SR_AREA_WEIGHTS);
    const channel = rng.weighted([['phone', 55], ['web', 20], ['email', 15], ['in_person', 5], ['text', 5]] as const);
    const actor = rng.pick(this.staff).actor;
    const created = await this.services.serviceRequests.create(actor, {
      residentId: resident.id,
      receivedAt: this.iso(receivedMs),
      channel,
      serviceArea: area,
      category: null,
      description: rng.pick(SR_DESCRIPTIONS[area]),
    });
    if (!resident.hasServiceRequest && resident.complaints.length === 0) this.srResidentsWithoutComplaint.push(resident);
    resident.hasServiceRequest = true;
    const sr: ServiceRequest = {
      id: created.body.id,
      version: created.body.version,
      residentId: resident.id,
      area,
      receivedMs,
      open: true,
      complaintRaised: false,
      holdUntilMs: 0,
      keepOpen: false,
    };
    const list = this.openSrs.get(area) ?? [];
    list.push(sr);
    this.openSrs.set(area, list);
    const fate = rng.weighted([['quick', 70], ['slow', 15], ['reviewed', 6], ['open', 9]] as const);
    const today = this.today();
    if (fate === 'open') {
      sr.keepOpen = true;
      return;
    }
    if (fate === 'reviewed') {
      const reviewDay = this.wd(today, rng.int(20, 30));
      this.schedule(this.officeTime(rng, reviewDay, this.nowMs), 'review service request', () => this.reviewServiceRequest(sr));
    }
    const days = fate === 'quick' ? rng.int(1, 21) : fate === 'slow' ? rng.int(22, 60) : rng.int(45, 120);
    const closeDay = this.wd(addDays(today, days - 1), 1);
    this.schedule(this.officeTime(rng, closeDay, this.nowMs), 'close service request', () => this.closeServiceRequest(sr, rng));
  }

  private async reviewServiceRequest(sr: ServiceRequest) {
    if (!sr.open) return;
    const v = await this.services.serviceRequests.update(this.handlers[0].actor, sr.id, sr.version, { reviewedOn: this.today() });
    sr.version = v.version;
  }

  private async closeServiceRequest(sr: ServiceRequest, rng: Rng) {
    if (!sr.open || sr.keepOpen) return;
    if (sr.holdUntilMs > this.nowMs) {
      // A complaint about it was raised: the request stays open while the work carries on.
      const day = this.cal.effectiveStartDate(this.dateOf(sr.holdUntilMs));
      this.schedule(this.officeTime(rng, day, sr.holdUntilMs), 'close service request', () => this.closeServiceRequest(sr, rng));
      sr.holdUntilMs = 0;
      return;
    }
    const v = await this.services.serviceRequests.update(rng.pick(this.staff).actor, sr.id, sr.version, { close: true });
    sr.version = v.version;
    sr.open = false;
    const list = this.openSrs.get(sr.area);
    if (list) list.splice(list.indexOf(sr), 1);
  }

  // ---------------------------------------------------------------- complaint arrivals

  /** Each day from `from` to `to` with its weight: working days 1, others `offDay`, by season. */
  private weightedDays(from: LocalDate, to: LocalDate, offDay: number) {
    const days: { d: LocalDate; cum: number }[] = [];
    let cum = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) {
      cum += (this.cal.isWorkingDay(d) ? 1 : offDay) * SEASON[Number(d.slice(5, 7)) - 1];
      days.push({ d, cum });
    }
    return days;
  }

  private sampleDay(rng: Rng, days: { d: LocalDate; cum: number }[]): LocalDate {
    const x = rng.next() * days[days.length - 1].cum;
    let lo = 0;
    let hi = days.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (days[mid].cum > x) hi = mid;
      else lo = mid + 1;
    }
    return days[lo].d;
  }

  private planComplaints() {
    const rng = Rng.of('complaint-plan', this.opts.seed);
    const months = Math.max(1, Math.round(this.opts.years * 12));
    // 37–43 stage 1 complaints a year per 1,000 homes (the sector's usual range is about 35–45).
    const ratePerThousand = 37 + rng.next() * 6;
    const total = Math.max(10, Math.round((this.opts.homes / 1000) * ratePerThousand * (months / 12)));
    const relatedNew = Math.max(1, Math.round(total * 0.015));
    const base = total - relatedNew;
    this.plannedTotal = total;
    const days = this.weightedDays(this.start, this.opts.end, 0.12);
    const plans: PlannedComplaint[] = [];
    for (let i = 0; i < base; i++) {
      const d = this.sampleDay(rng, days);
      const working = this.cal.isWorkingDay(d);
      const channel = working ? rng.weighted(COMPLAINT_CHANNELS) : rng.weighted(OUT_OF_HOURS_CHANNELS);
      const inOffice = channel === 'phone' || channel === 'in_person';
      const receivedMs = this.at(d, inOffice ? rng.int(8 * 60 + 30, 17 * 60 + 15) : rng.int(7 * 60, 22 * 60 + 30));
      let loggedMs: number;
      if (inOffice) loggedMs = receivedMs + rng.int(3, 30) * MIN;
      else if (working && receivedMs < this.at(d, 15 * 60)) loggedMs = receivedMs + rng.int(30, 180) * MIN;
      else loggedMs = this.at(this.cal.nextWorkingDay(d), rng.int(9 * 60, 12 * 60));
      const month = Number(d.slice(5, 7));
      const winter = month >= 10 || month <= 3;
      const area = rng.weighted(SERVICE_AREA_WEIGHTS.map(([a, w]) => [a, a === 'Damp and mould' ? w * (winter ? 1.5 : 0.6) : w] as const));
      plans.push({
        index: 0,
        receivedMs,
        loggedMs,
        channel,
        area,
        issue: rng.pick(ISSUES[area]),
        fate: 'normal',
        lateAccepted: false,
        anonymous: false,
        relatedJoin: false,
        relatedNew: false,
        reassign: false,
      });
    }
    plans.sort((a, b) => a.receivedMs - b.receivedMs);
    plans.forEach((p, i) => (p.index = i));
    // Exact shares, dealt like cards, so that even a small landlord has some of each.
    const cutoff = this.at(addDays(this.opts.end, -45), 0);
    const eligible = rng.shuffle(plans.filter((p) => p.receivedMs < cutoff));
    const take = (share: number) => eligible.splice(0, Math.min(eligible.length, Math.max(1, Math.round(base * share))));
    for (const p of take(0.03)) p.fate = 'refuse';
    for (const p of take(0.02)) p.fate = 'withdraw';
    for (const p of take(0.015)) p.lateAccepted = true;
    for (const p of take(0.01)) p.anonymous = true;
    const rest = rng.shuffle(plans.filter((p) => p.fate === 'normal' && !p.anonymous && p.receivedMs < cutoff));
    for (const p of rest.slice(0, Math.max(1, Math.round(base * 0.04)))) p.relatedJoin = true;
    for (const p of rest.slice(rest.length - relatedNew)) p.relatedNew = true;
    for (const p of rng.shuffle(rest.filter((p) => !p.relatedNew)).slice(0, Math.max(1, Math.round(base * 0.03)))) p.reassign = true;
    for (const p of plans) this.schedule(p.loggedMs, `complaint ${p.index}`, () => this.logComplaint(p));
  }

  private takeServiceRequest(rng: Rng, area: string, receivedMs: number): ServiceRequest | null {
    const list = (this.openSrs.get(area) ?? []).filter((s) => !s.complaintRaised && s.receivedMs < receivedMs - 5 * DAY && s.receivedMs > receivedMs - 150 * DAY);
    return list.length > 0 ? rng.pick(list) : null;
  }

  private async logComplaint(p: PlannedComplaint) {
    const rng = Rng.of('complaint', this.opts.seed, p.index);
    const logger = this.loggerFor(rng);
    const receivedOn = this.dateOf(p.receivedMs);
    let resident: Resident | null = null;
    let sr: ServiceRequest | null = null;
    if (!p.anonymous) {
      if (['Repairs', 'Damp and mould', 'Estate services', 'Anti-social behaviour'].includes(p.area) && !p.lateAccepted && rng.chance(0.35)) {
        sr = this.takeServiceRequest(rng, p.area, p.receivedMs);
      }
      if (sr) resident = this.residentById.get(sr.residentId) ?? null;
      else if (this.complainants.length > 5 && rng.chance(0.12)) resident = rng.pick(this.complainants);
      else if (this.srResidentsWithoutComplaint.length > 0 && rng.chance(0.45)) {
        resident = this.srResidentsWithoutComplaint.splice(rng.int(0, this.srResidentsWithoutComplaint.length - 1), 1)[0];
      } else resident = await this.newResident(rng);
    }
    // Refusal ground: 'already considered' needs an earlier complaint from the same resident.
    let refuseGround: string | null = null;
    let earlierRef: string | null = null;
    if (p.fate === 'refuse') {
      if (resident && resident.complaints.length > 0 && rng.chance(0.6)) {
        refuseGround = 'already_considered';
        earlierRef = resident.complaints[resident.complaints.length - 1];
      } else refuseGround = sr ? 'legal_proceedings' : rng.weighted([['over_12_months', 60], ['legal_proceedings', 40]] as const);
    }
    let issueArose: LocalDate | null = null;
    if (refuseGround === 'over_12_months') issueArose = addDays(addMonths(receivedOn, -rng.int(13, 30)), -rng.int(0, 27));
    else if (p.lateAccepted) issueArose = addDays(addMonths(receivedOn, -rng.int(13, 20)), -rng.int(0, 27));
    else if (rng.chance(0.75)) issueArose = addDays(receivedOn, -rng.int(3, 180));
    const today = this.today();
    const description = fill(p.issue.description, rng, today);
    const category = rng.chance(0.08) ? rng.pick(this.settings.categories) : p.issue.category;
    const subjectStaffIds = category === 'Staff conduct' && rng.chance(0.6) ? [rng.pick(this.staff.filter((s) => s.id !== logger.id)).id] : [];
    const contractor = CONTRACTORS[p.area] && rng.chance(0.5) ? rng.pick(CONTRACTORS[p.area]) : null;
    let view: ComplaintView;
    if (sr) {
      const created = await this.services.serviceRequests.raiseComplaint(logger.actor, sr.id, {
        description,
        channel: p.channel,
        receivedAt: this.iso(p.receivedMs),
        outcomeSought: p.issue.sought,
        category,
      });
      view = created.body;
      sr.complaintRaised = true;
      sr.holdUntilMs = this.nowMs + rng.int(20, 90) * DAY;
      if (rng.chance(0.3)) sr.keepOpen = true;
    } else {
      let representative: RepresentativeInput | null = null;
      let representativeId: string | null = null;
      if (resident && rng.chance(0.07)) {
        if (resident.representativeId) representativeId = resident.representativeId;
        else representative = this.representative(rng, today);
      }
      const input: ComplaintInput = {
        residentId: resident?.id ?? null,
        anonymous: p.anonymous,
        representativeId,
        representative,
        channel: p.channel,
        receivedAt: this.iso(p.receivedMs),
        issueArose,
        description,
        outcomeSought: rng.chance(0.85) ? p.issue.sought : null,
        helpNeeded: resident?.adjustment ?? null,
        serviceArea: p.area,
        category,
        contractor,
        subjectStaffIds,
      };
      view = (await this.services.complaints.create(logger.actor, input)).body;
      if (representative && resident) resident.representativeId = view.representativeId;
    }
    // The complaint definition: the issue's points, sometimes another, sometimes one outside the landlord's responsibility.
    const points: Case['points'] = p.issue.points
      .slice(0, rng.weighted([[1, 30], [2, 40], [3, 30]] as const))
      .map((s) => ({ summary: s, landlordResponsible: true }));
    if (rng.chance(0.25)) {
      const extra = rng.pick(EXTRA_POINTS);
      if (!points.some((x) => x.summary === extra)) points.push({ summary: extra, landlordResponsible: true });
    }
    if (rng.chance(0.08) && points.length < 4) {
      const o = rng.pick(OUTSIDE_RESPONSIBILITY);
      points.push({ summary: o.summary, landlordResponsible: false, responsibilityNote: o.note });
    }
    const c: Case = {
      plan: p,
      rng,
      id: view.id,
      ref: view.reference,
      version: view.version,
      view,
      resident,
      stage1Handlers: new Set(),
      handler: null,
      counted: false,
      points: points.slice(0, 4),
      refuseGround,
      earlierRef,
      notesWritten: new Set(),
    };
    this.registerCase(c);
    // The complaints team assigns a handler the same day or the next working day.
    const assignDay = rng.chance(0.65) && this.cal.isWorkingDay(this.today()) ? this.today() : this.cal.nextWorkingDay(this.today());
    this.schedule(this.officeTime(rng, assignDay, this.nowMs + 5 * MIN, 9 * 60, 16 * 60), `${c.ref} assign`, () => this.assign(c));
  }

  private registerCase(c: Case) {
    this.cases.push(c);
    if (c.resident) {
      if (c.resident.complaints.length === 0) this.complainants.push(c.resident);
      c.resident.complaints.push(c.ref);
    }
    this.complaintsLogged++;
    const every = Math.max(100, Math.round(this.plannedTotal / 1000) * 100);
    if (this.opts.log && this.complaintsLogged % every === 0) {
      this.opts.log(`  ${this.complaintsLogged} of about ${this.plannedTotal} complaints logged (simulated date ${this.today()}, ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s)`);
    }
  }

  private representative(rng: Rng, today: LocalDate): RepresentativeInput {
    const kind = rng.weighted([['family', 45], ['advocate', 20], ['councillor', 15], ['mp', 12], ['support', 8]] as const);
    const given = rng.pick(rng.chance(0.5) ? FEMALE : MALE);
    const family = rng.pick(SURNAMES);
    const consentOn = addDays(today, -rng.int(0, 10));
    switch (kind) {
      case 'family':
        return {
          name: `${given} ${family}`,
          relationship: rng.pick(['Daughter', 'Son', 'Sister', 'Brother', 'Partner', 'Niece']),
          phone: `07700 900${String(rng.int(0, 999)).padStart(3, '0')}`,
          consentEvidence: 'Verbal consent given by the resident on a recorded call',
          consentRecordedOn: consentOn,
        };
      case 'advocate':
        return {
          name: `${given} ${family}`,
          relationship: 'Advocate (Citizens Advice)',
          email: `${given}.${family}@example.net`.toLowerCase(),
          consentEvidence: 'Signed authority form received by email',
          consentRecordedOn: consentOn,
        };
      case 'councillor':
        return {
          name: `Cllr ${given} ${family}`,
          relationship: 'Ward councillor',
          email: `cllr.${family}@example.gov.uk`.toLowerCase(),
          consentEvidence: 'Councillor confirmed the resident asked them to act; resident confirmed by phone',
          consentRecordedOn: consentOn,
        };
      case 'mp':
        return {
          name: `${given} ${family} MP (constituency office)`,
          relationship: 'Member of Parliament',
          email: `${given}.${family}.mp@example.org`.toLowerCase(),
          consentEvidence: 'Resident\'s signed consent form supplied by the MP\'s office',
          consentRecordedOn: consentOn,
        };
      default:
        return {
          name: `${given} ${family}`,
          relationship: 'Support worker',
          phone: `07700 900${String(rng.int(0, 999)).padStart(3, '0')}`,
          consentEvidence: 'Written consent on the support plan, copy held on file',
          consentRecordedOn: consentOn,
        };
    }
  }

  // ---------------------------------------------------------------- lifecycle steps

  private stageView(c: Case) {
    return c.view.stages[c.view.stages.length - 1];
  }

  private async exec(c: Case, actor: Actor, cmd: Parameters<Services['complaints']['command']>[3]) {
    const v = await this.services.complaints.command(actor, c.id, c.version, cmd);
    c.view = v;
    c.version = v.version;
  }

  private is(c: Case, stage: 1 | 2, ...statuses: string[]) {
    return c.view.stage === stage && statuses.includes(c.view.status);
  }

  private take(c: Case, h: Staff) {
    c.handler = h;
    this.load.set(h.id, (this.load.get(h.id) ?? 0) + 1);
    c.counted = true;
  }

  private release(c: Case) {
    if (c.counted && c.handler) this.load.set(c.handler.id, Math.max(0, (this.load.get(c.handler.id) ?? 0) - 1));
    c.counted = false;
  }

  private async note(c: Case, author: Staff, body: string, restricted = false) {
    await this.services.complaints.addNote(author.actor, c.id, { body, restricted });
  }

  private async letter(c: Case, author: Staff, subject: string, body: string) {
    if (!c.resident) return;
    const channel = c.resident.preferred === 'email' ? 'email' : c.resident.preferred === 'text' ? 'text' : 'letter';
    await this.services.complaints.addCorrespondence(author.actor, c.id, { direction: 'out', channel, subject, body, counterpart: c.resident.name });
  }

  private async assign(c: Case) {
    if (!this.is(c, 1, 'awaiting_acknowledgement')) return;
    const rng = c.rng;
    const h = this.chooseHandler(rng, new Set(c.view.subjectStaffIds as string[]));
    await this.exec(c, this.manager.actor, { type: 'assign', stage: 1, handlerId: h.id, conflict: { hasConflict: false, statement: CONFLICT_STATEMENT } });
    c.stage1Handlers.add(h.id);
    this.take(c, h);
    this.schedule(this.nowMs + rng.int(10, 120) * MIN, `${c.ref} triage`, () => this.triage(c));
  }

  private async triage(c: Case) {
    if (!this.is(c, 1, 'awaiting_acknowledgement')) return;
    const rng = c.rng;
    const h = c.handler!;
    const vulnerable = !!c.resident?.vulnerable;
    const complex = rng.chance(c.points.length >= 3 || ['Damp and mould', 'Anti-social behaviour'].includes(c.plan.area) ? 0.4 : 0.18);
    const atRisk = vulnerable && rng.chance(0.12);
    const notes = vulnerable
      ? `Vulnerability recorded: ${c.resident!.need}.${c.resident!.adjustment ? ` Adjustment in place: ${c.resident!.adjustment}.` : ''}`
      : complex
        ? 'Several teams involved; likely to need an inspection.'
        : null;
    await this.exec(c, h.actor, { type: 'triage', complexity: complex ? 'complex' : 'straightforward', vulnerable, atRisk, notes });
    const startDate = this.stageView(c).startDate;
    const k = rng.chance(0.91) ? rng.weighted([[1, 15], [2, 25], [3, 25], [4, 20], [5, 15]] as const) : rng.int(6, 10);
    const ackDay = this.maxDate(this.wd(startDate, k), this.cal.effectiveStartDate(this.today()));
    const ackAt = this.officeTime(rng, ackDay, this.nowMs);
    if (c.plan.fate === 'refuse') {
      this.schedule(ackAt, `${c.ref} refuse`, () => this.refuse(c));
      return;
    }
    if (c.plan.fate === 'withdraw' && rng.chance(0.3)) {
      this.schedule(ackAt - rng.int(60, 600) * MIN, `${c.ref} withdraw`, () => this.withdraw(c));
    }
    this.schedule(ackAt, `${c.ref} acknowledge`, () => this.acknowledge(c));
  }

  private async acknowledge(c: Case) {
    const stage = c.view.stage as 1 | 2;
    if (!this.is(c, stage, 'awaiting_acknowledgement')) return;
    const rng = c.rng;
    const h = c.handler!;
    const understanding =
      stage === 1
        ? c.plan.issue.understanding
        : `${c.plan.issue.understanding} At stage 2 the resident remains unhappy with the stage 1 response${c.view.stages[1]?.escalationReason ? `: ${lcFirst(c.view.stages[1].escalationReason)}` : '.'}`;
    const points =
      stage === 1
        ? c.points
        : [
            ...(c.view.stages[0].definition?.points ?? []).filter((p) => p.landlordResponsible).slice(0, 3).map((p) => ({ summary: p.summary, landlordResponsible: true })),
            { summary: 'Whether the stage 1 response and remedy put things right', landlordResponsible: true },
          ];
    await this.exec(c, h.actor, {
      type: 'acknowledge',
      definition: { understanding, outcomesSought: c.plan.issue.sought, points },
      discretion: stage === 1 && c.view.lateIssue
        ? { decision: 'accept', reasons: rng.pick([
            'The resident was in hospital for much of the period and could not complain sooner; the records needed are still available.',
            'The problem has continued throughout and the resident raised it informally several times; it is fair to consider it now.',
            'The resident was told by a member of staff that the matter was in hand, so did not complain sooner.',
          ]) }
        : null,
    });
    const s = this.stageView(c);
    await this.letter(
      c,
      h,
      `We have received your ${stage === 2 ? 'request to escalate your' : ''} complaint ${c.ref}`.replace('  ', ' '),
      `Thank you for contacting us. We have logged your complaint at stage ${stage}. ${h.name} is handling it and we will respond by ${longDate(s.responseDue)}. Our understanding of your complaint is set out below; please tell us if we have anything wrong. You can contact the ${this.settings.ombudsman.name} at any time on ${this.settings.ombudsman.phone}.`,
    );
    this.planStageWork(c, stage);
  }

  /** After acknowledgement: extension, updates, related issues, notes and the response. */
  private planStageWork(c: Case, stage: 1 | 2) {
    const rng = c.rng;
    const s = this.stageView(c);
    const ack = s.acknowledgedOn!;
    const due = s.responseDue;
    const rules = ruleSetFor(c.view.ruleVersion as RuleVersion);
    const cap = rules.extensionCap[stage];
    const complex = c.view.triage?.complexity === 'complex';
    const extend = rng.chance(stage === 1 ? (complex ? 0.42 : 0.12) : 0.22);
    let respondDay: LocalDate;
    if (extend) {
      const toldLate = rng.chance(0.05);
      let toldOn = toldLate ? this.wd(due, rng.int(1, 2)) : this.maxDate(this.wdBack(due, rng.int(0, 3)), this.wd(ack, 1));
      if (!toldLate && toldOn > due) toldOn = due;
      const beyond = rng.chance(0.12);
      const extra = beyond ? cap + rng.int(2, stage === 1 ? 10 : 12) : rng.int(Math.ceil(cap / 2), cap);
      let newDue = this.wd(s.responseDueOriginal, extra);
      if (newDue <= this.maxDate(due, toldOn)) newDue = this.wd(this.maxDate(due, toldOn), rng.int(5, 8));
      const every = rng.weighted([[5, 70], [10, 30]] as const);
      this.schedule(this.officeTime(rng, toldOn, this.nowMs), `${c.ref} extend`, () => this.extend(c, stage, newDue, every));
      respondDay = rng.chance(0.9) ? this.maxDate(this.wdBack(newDue, rng.int(0, 4)), this.wd(toldOn, 1)) : this.wd(newDue, this.lateBy(rng));
      // Updates at the agreed interval until the response; most on time, a few late.
      for (let d = this.wd(toldOn, every); d < respondDay; d = this.wd(d, every)) {
        const on = rng.chance(0.85) ? d : this.wd(d, rng.int(1, 3));
        if (on >= respondDay) break;
        this.schedule(this.officeTime(rng, on, this.nowMs), `${c.ref} update`, () => this.update(c, stage));
      }
    } else {
      const onTime = rng.chance(stage === 1 ? 0.86 : 0.88);
      respondDay = onTime
        ? this.maxDate(this.wdBack(due, rng.weighted([[0, 30], [1, 20], [2, 15], [3, 12], [4, 10], [5, 8], [6, 5]] as const)), this.wd(ack, 2))
        : this.wd(due, this.lateBy(rng));
      if (onTime && respondDay > due) respondDay = due;
    }
    const span = Math.max(1, this.cal.workingDaysBetween(ack, respondDay));
    const between = () => this.wd(ack, rng.int(1, Math.max(1, span - 1)));
    if (stage === 1 && c.plan.fate === 'withdraw' && this.is(c, 1, 'investigating')) {
      this.schedule(this.officeTime(rng, between(), this.nowMs), `${c.ref} withdraw`, () => this.withdraw(c));
    }
    if (stage === 1 && c.plan.relatedJoin && span >= 3) {
      this.schedule(this.officeTime(rng, between(), this.nowMs), `${c.ref} related issue`, () => this.relatedJoin(c));
    }
    if (stage === 1 && c.plan.reassign && span >= 3) {
      this.schedule(this.officeTime(rng, this.wd(ack, 1), this.nowMs), `${c.ref} reassign`, () => this.reassign(c));
    }
    const nNotes = rng.weighted([[0, 35], [1, 35], [2, 20], [3, 10]] as const);
    for (let i = 0; i < nNotes; i++) this.schedule(this.officeTime(rng, between(), this.nowMs), `${c.ref} note`, () => this.caseNote(c, stage));
    if (c.resident && rng.chance(0.35)) this.schedule(this.at(between(), rng.int(7 * 60, 22 * 60)), `${c.ref} message`, () => this.residentMessage(c, stage));
    if (c.resident?.vulnerable && rng.chance(0.15)) {
      this.schedule(this.officeTime(rng, between(), this.nowMs), `${c.ref} restricted note`, async () => {
        if (!this.is(c, stage, 'investigating')) return;
        await this.note(c, this.manager, 'Safeguarding concern referred to the local authority adult social care team. Details held by the complaints manager.', true);
      });
    }
    this.schedule(this.officeTime(rng, respondDay, this.nowMs, 10 * 60, 17 * 60), `${c.ref} respond`, () => this.respond(c, stage));
  }

  /** How many working days late a late response is: mostly a few, with a long tail of neglected cases. */
  private lateBy(rng: Rng): number {
    const band = rng.weighted([['days', 60], ['weeks', 25], ['months', 15]] as const);
    return band === 'days' ? rng.int(1, 10) : band === 'weeks' ? rng.int(11, 25) : rng.int(26, 50);
  }

  private async extend(c: Case, stage: 1 | 2, newDue: LocalDate, every: number) {
    if (!this.is(c, stage, 'investigating')) return;
    const rng = c.rng;
    const s = this.stageView(c);
    const today = this.today();
    let due = newDue;
    const floor = this.maxDate(s.responseDue, today);
    if (due <= floor) due = this.wd(floor, 5);
    const cap = ruleSetFor(c.view.ruleVersion as RuleVersion).extensionCap[stage];
    const beyond = this.cal.workingDaysBetween(s.responseDueOriginal, due) > cap;
    const reason = rng.pick(
      c.plan.area === 'Damp and mould'
        ? ['A damp specialist survey is needed before we can answer the complaint; the earliest appointment is next week.', 'We are waiting for the surveyor\'s report on the cause of the damp.']
        : ['We need the contractor\'s job records and photographs, which have been requested.', 'Several teams are involved and we need their accounts before we can respond fully.', 'An inspection of the property is needed and the earliest appointment the resident could make is next week.'],
    );
    await this.exec(c, c.handler!.actor, {
      type: 'extend',
      reason,
      newDue: due,
      ombudsmanDetailsGiven: true,
      goodReason: beyond
        ? rng.pick([
            'The structural engineer\'s report on the cause of the damp is not due until next month; responding without it would not answer the complaint.',
            'The resident asked us to wait until they return from hospital so they can take part in the inspection.',
            'Legal advice is needed on the boundary responsibility for the wall.',
          ])
        : null,
      updateEveryWorkingDays: every,
    });
    await this.letter(
      c,
      c.handler!,
      `We need more time to respond to your complaint ${c.ref}`,
      `${reason} We will now respond by ${longDate(due)} and will update you every ${every} working days until then. If you are unhappy with this, you can contact the ${this.settings.ombudsman.name} on ${this.settings.ombudsman.phone} or at ${this.settings.ombudsman.website}.`,
    );
  }

  private async update(c: Case, stage: 1 | 2) {
    if (!this.is(c, stage, 'investigating')) return;
    await this.exec(c, c.handler!.actor, {
      type: 'record_update',
      summary: c.rng.pick([
        'Told the resident the inspection has been booked and the response date still stands.',
        'Update by phone: still waiting for the contractor\'s records; explained what happens next.',
        'Emailed the resident with progress; works order raised.',
        'Left a voicemail and followed up by email with the latest position.',
      ]),
      method: c.resident?.preferred === 'email' ? 'email' : 'phone',
    });
  }

  private async caseNote(c: Case, stage: 1 | 2) {
    if (!this.is(c, stage, 'investigating')) return;
    const rng = c.rng;
    const contractor = c.view.contractor ?? 'the contractor';
    const general = [
      'Called the resident to go through the complaint definition; they agreed it covers everything.',
      `Resident called for an update; told them the response is due on ${longDate(this.stageView(c).responseDue)}.`,
      'Spoke to the team manager about what went wrong and what they will change.',
      'Checked the resident\'s needs and contact preferences before calling.',
    ];
    const text = rng.pick(rng.chance(0.6) ? AREA_DETAIL[c.plan.area].notes : general).replace('{contractor}', contractor);
    if (c.notesWritten.has(text)) return;
    c.notesWritten.add(text);
    await this.note(c, c.handler!, text);
  }

  private async residentMessage(c: Case, stage: 1 | 2) {
    if (!this.is(c, stage, 'investigating') || !c.resident) return;
    await this.services.complaints.addCorrespondence(this.manager.actor, c.id, {
      direction: 'in',
      channel: c.resident.email ? 'email' : 'phone',
      subject: `Re: your complaint ${c.ref}`,
      body: c.rng.pick([
        'I am still waiting for someone to come out. Can you tell me what is happening?',
        'I have attached photos of how bad it has got since I complained.',
        'Thank you for calling yesterday. I am available any weekday morning for the inspection.',
        'Nobody turned up for the appointment on Tuesday. Please can you find out why.',
      ]),
      counterpart: c.resident.name,
    });
  }

  private async relatedJoin(c: Case) {
    if (!this.is(c, 1, 'investigating')) return;
    const r = await this.services.complaints.relatedIssue(c.handler!.actor, c.id, c.version, {
      summary: c.plan.issue.related,
      landlordResponsible: true,
      raisedAt: this.iso(),
    });
    c.view = r.complaint;
    c.version = r.complaint.version;
  }

  private async reassign(c: Case) {
    if (!this.is(c, 1, 'investigating')) return;
    const old = c.handler!;
    const h = this.chooseHandler(c.rng, new Set([old.id, ...(c.view.subjectStaffIds as string[])]));
    if (h.id === this.manager.id) return;
    await this.exec(c, this.manager.actor, { type: 'assign', stage: 1, handlerId: h.id, conflict: { hasConflict: false, statement: CONFLICT_STATEMENT } });
    this.release(c);
    c.stage1Handlers.add(h.id);
    this.take(c, h);
    await this.note(c, this.manager, `Case passed from ${old.name} to ${h.name} while ${old.name.split(' ')[0]} is on leave.`);
  }

  private decisions(c: Case, stage: 1 | 2, outcome: Outcome) {
    const rng = c.rng;
    const points = this.stageView(c).definition!.points;
    const policy = AREA_DETAIL[c.plan.area].policy;
    const answerable = points.filter((p) => p.landlordResponsible);
    const upheldIds = new Set<string>();
    if (outcome === 'upheld') answerable.forEach((p) => upheldIds.add(p.id));
    if (outcome === 'partly_upheld') {
      const n = answerable.length <= 1 ? 1 : rng.int(1, answerable.length - 1);
      rng.shuffle([...answerable]).slice(0, n).forEach((p) => upheldIds.add(p.id));
    }
    return points.map((p) => {
      let decision: PointDecisionValue;
      let reasons: string;
      if (!p.landlordResponsible) {
        decision = 'outside_responsibility';
        reasons = p.responsibilityNote ?? 'This is not something the landlord is responsible for.';
      } else if (upheldIds.has(p.id)) {
        decision = outcome === 'partly_upheld' && answerable.length === 1 ? 'partly_upheld' : 'upheld';
        reasons =
          decision === 'partly_upheld'
            ? `"${p.summary}": part of what the resident says is right. We did not meet the timescale in our ${policy} at first, but once the matter reached the right team it was dealt with as the policy requires.`
            : rng.pick([
                `"${p.summary}": our records show we did not meet the timescale in our ${policy}, and the resident had to chase us.`,
                `"${p.summary}": this fell short of what our ${policy} promises, and we did not keep the resident informed.`,
                `"${p.summary}": the records and what the staff involved told us support the resident's account. We should have acted sooner, as our ${policy} requires.`,
              ]);
      } else {
        decision = 'not_upheld';
        reasons = rng.pick([
          `"${p.summary}": our records show we acted within the timescales in our ${policy} and kept the resident informed.`,
          `"${p.summary}": we looked at this carefully and found the service met the standard in our ${policy}; the records on file confirm this.`,
          `"${p.summary}": the decision followed our published ${policy} and was explained to the resident at the time.`,
        ]);
      }
      return { pointId: p.id, decision, reasons };
    });
  }

  private remedies(c: Case, outcome: Outcome): { remedies: RemedySummary[]; actions: ActionSummary[] } {
    const rng = c.rng;
    const today = this.today();
    const remedies: RemedySummary[] = [];
    const actions: ActionSummary[] = [];
    if (outcome !== 'not_upheld') {
      remedies.push({ type: 'apology', description: `A written apology from the ${AREA_DETAIL[c.plan.area].head} for what went wrong and the distress caused.` });
      if (rng.chance(outcome === 'upheld' ? 0.65 : 0.4)) {
        const band = rng.weighted([['minor', 45], ['maladministration', 42], ['significant', 10], ['severe', 3]] as const);
        const pounds100 = band === 'minor' ? rng.int(10, 20) * 5 : band === 'maladministration' ? rng.int(4, 24) * 25 : band === 'significant' ? rng.int(24, 40) * 25 : rng.int(40, 80) * 25;
        const amountPence = pounds100 * 100;
        remedies.push({
          type: 'financial',
          description: `${pounds(amountPence)} for ${rng.pick(['time and trouble', 'distress and inconvenience', 'time and trouble, and distress and inconvenience'])}, paid to the resident's bank account and not offset against any rent arrears.`,
          amountPence,
          dueBy: this.wd(today, 10),
        });
      }
      const more: [RemedyType, string][] = [
        ['acknowledgement_of_fault', 'We acknowledge that we did not keep the resident informed and should have done.'],
        ['action_on_delay', `The outstanding work will be completed by ${longDate(this.wd(today, 15))}, overseen by a supervisor.`],
        ['explanation', 'A full explanation of what happened and why, with the relevant records.'],
        ['amended_record', 'The resident\'s account and records corrected.'],
        ['reconsidered_decision', 'The earlier decision reconsidered and changed.'],
        ['policy_change', 'Our procedure amended so this does not happen again; the learning shared with the team.'],
      ];
      for (const [type, description] of rng.shuffle(more).slice(0, rng.int(0, 2))) {
        remedies.push({ type, description, dueBy: type === 'action_on_delay' || type === 'amended_record' ? this.wd(today, 15) : null });
      }
    }
    if (rng.chance(outcome === 'not_upheld' ? 0.1 : 0.45)) {
      const a = rng.pick(AREA_DETAIL[c.plan.area].actions);
      actions.push({ description: a.description, dueBy: addDays(today, rng.int(10, 45)), owner: a.owner });
    }
    return { remedies, actions };
  }

  private nextSteps(c: Case, stage: 1 | 2): string {
    const set = this.settings;
    const lgsco = set.lgsco.serviceAreas.includes(c.plan.area);
    const ombudsman = lgsco
      ? `the ${set.lgsco.name} (${set.lgsco.phone}, ${set.lgsco.website})`
      : `the ${set.ombudsman.name} (${set.ombudsman.phone}, ${set.ombudsman.email}, ${set.ombudsman.website})`;
    return stage === 1
      ? `If you are not happy with this response, tell us and we will escalate your complaint to stage 2. You do not need to give reasons. Contact the complaints team on ${set.landlord.complaintsPhone} or ${set.landlord.complaintsEmail}. You can also contact ${ombudsman} at any time.`
      : `This is our final response. If you remain unhappy you can take your complaint to ${ombudsman} within 12 months of this response.`;
  }

  private async respond(c: Case, stage: 1 | 2) {
    if (!this.is(c, stage, 'investigating')) return;
    const rng = c.rng;
    const outcome: Outcome =
      stage === 1
        ? rng.weighted([['upheld', 35], ['partly_upheld', 30], ['not_upheld', 35]] as const)
        : rng.weighted([['upheld', 28], ['partly_upheld', 32], ['not_upheld', 40]] as const);
    const { remedies, actions } = this.remedies(c, outcome);
    const h = c.handler!;
    await this.exec(c, h.actor, {
      type: 'respond',
      points: this.decisions(c, stage, outcome),
      outcome,
      remedies,
      outstandingActions: actions,
      nextSteps: this.nextSteps(c, stage),
      contributors: rng.chance(0.3) ? [rng.pick(this.staff).name] : [],
    });
    this.release(c);
    await this.letter(c, h, `Our stage ${stage} response to your complaint ${c.ref}`, `Our decision: ${outcome.replace('_', ' ')}. ${this.nextSteps(c, stage)}`);
    const today = this.today();
    // Closure: most cases are closed within a few days; some stay open while actions are tracked.
    if (rng.chance(actions.length > 0 ? 0.75 : 0.93)) {
      this.schedule(this.officeTime(rng, this.wd(today, rng.int(0, 5)), this.nowMs), `${c.ref} close`, () => this.close(c, stage));
    }
    if (stage === 1) {
      const p = outcome === 'not_upheld' ? 0.3 : outcome === 'partly_upheld' ? 0.24 : 0.13;
      if (rng.chance(p) && c.resident) {
        const days = rng.weighted([[1, 45], [2, 35], [3, 20]] as const);
        const d = addDays(today, days === 1 ? rng.int(1, 7) : days === 2 ? rng.int(8, 21) : rng.int(22, 60));
        const working = this.cal.isWorkingDay(d);
        const requestedMs = this.at(d, working ? rng.int(8 * 60 + 30, 17 * 60) : rng.int(8 * 60, 21 * 60));
        const recordMs = working ? requestedMs + rng.int(5, 120) * MIN : this.at(this.cal.nextWorkingDay(d), rng.int(9 * 60, 12 * 60));
        this.schedule(recordMs, `${c.ref} escalate`, () => this.escalate(c, requestedMs));
      } else if (c.plan.relatedNew) {
        this.schedule(this.officeTime(rng, this.wd(today, rng.int(5, 25)), this.nowMs), `${c.ref} new related complaint`, () => this.relatedNew(c));
      }
    }
  }

  private async close(c: Case, stage: 1 | 2) {
    if (!this.is(c, stage, 'responded')) return;
    const n = this.stageView(c).outstandingActions.length;
    await this.exec(c, this.manager.actor, {
      type: 'close',
      summary: n > 0 ? `Response sent. ${n} outstanding action${n > 1 ? 's' : ''} tracked to completion by the owning team.` : 'Response sent; nothing outstanding.',
    });
  }

  private async withdraw(c: Case) {
    if (!this.is(c, 1, 'awaiting_acknowledgement', 'investigating')) return;
    await this.exec(c, c.handler?.actor ?? this.manager.actor, {
      type: 'withdraw',
      reason: c.rng.pick([
        'The resident said the repair has now been completed and she is happy with the outcome.',
        'The resident phoned to say he no longer wishes to pursue the complaint as the matter has been sorted out.',
        'The resident\'s daughter confirmed the resident wants to withdraw; the issue was resolved by the repairs team.',
        'The resident emailed to withdraw: the neighbour has moved out.',
      ]),
      how: c.rng.pick(['phone', 'email']),
    });
    this.release(c);
  }

  private async refuse(c: Case) {
    if (!this.is(c, 1, 'awaiting_acknowledgement', 'investigating')) return;
    const rng = c.rng;
    const ground = c.refuseGround!;
    const reasoning =
      ground === 'over_12_months'
        ? `The complaint is about events in ${longDate(c.view.issueArose!)}, more than 12 months before it was made. The resident has given no reason why it could not be raised sooner; the matter was dealt with at the time and no further reports were made.`
        : ground === 'legal_proceedings'
          ? `The resident's solicitors issued a disrepair claim in the County Court on ${longDate(addDays(this.today(), -rng.int(10, 60)))} (claim form and particulars of claim served on us) covering the same matters. The court will decide these issues.`
          : `This complaint repeats the issues answered in our final response to ${c.earlierRef}; no new issues have been raised. The resident was told of the right to go to the Housing Ombudsman at the time.`;
    await this.exec(c, c.handler!.actor, {
      type: 'refuse',
      kind: 'acceptance',
      ground,
      reasoning,
      ombudsmanRightGiven: true,
      discretion:
        ground === 'over_12_months'
          ? {
              decision: 'refuse',
              reasons: 'Considered whether to accept the complaint despite its age: no vulnerability or other good reason prevented an earlier complaint, and the records needed to investigate fairly are incomplete.',
            }
          : null,
    });
    this.release(c);
    await this.letter(c, c.handler!, `Your complaint ${c.ref}`, `We are unable to accept your complaint. ${reasoning} If you disagree with this decision you can ask the ${this.settings.ombudsman.name} to look at it: ${this.settings.ombudsman.phone}, ${this.settings.ombudsman.website}.`);
  }

  private async escalate(c: Case, requestedMs: number) {
    const closedAfterOne = c.view.stage === 1 && c.view.status === 'closed';
    if (!(this.is(c, 1, 'responded') || closedAfterOne)) return;
    const rng = c.rng;
    await this.exec(c, this.manager.actor, {
      type: 'escalate',
      requestedAt: this.iso(requestedMs),
      // Residents need not give reasons for escalating; about a third do not.
      reason: rng.chance(0.65) ? rng.pick(this.escalationReasons(c)) : null,
      via: rng.pick(['phone', 'email', 'web', 'letter']),
    });
    const today = this.today();
    if (rng.chance(0.04)) {
      this.schedule(this.officeTime(rng, this.wd(today, rng.int(1, 3)), this.nowMs), `${c.ref} refuse escalation`, () => this.refuseEscalation(c));
      return;
    }
    const assignDay = rng.chance(0.6) && this.cal.isWorkingDay(today) ? today : this.cal.nextWorkingDay(today);
    this.schedule(this.officeTime(rng, assignDay, this.nowMs), `${c.ref} assign stage 2`, () => this.assignStageTwo(c));
  }

  private escalationReasons(c: Case): string[] {
    const s1 = c.view.stages[0];
    const reasons = ['The resident disagrees with the findings.', 'The resident says the stage 1 response did not answer all of the complaint.'];
    if (s1.remedies.some((r) => r.type === 'financial')) reasons.push('The resident is unhappy with the compensation offered.');
    else if (s1.outcome !== 'not_upheld') reasons.push('The resident thinks compensation should have been offered.');
    if (s1.outstandingActions.length > 0) reasons.push('The resident says the promised works have not been done.');
    if (c.plan.area === 'Repairs' || c.plan.area === 'Damp and mould') {
      reasons.push('The problem has come back since the stage 1 response.', 'The resident does not accept that the repair has been completed properly.');
    }
    return reasons;
  }

  private async refuseEscalation(c: Case) {
    if (!this.is(c, 2, 'awaiting_acknowledgement')) return;
    await this.exec(c, this.manager.actor, {
      type: 'refuse',
      kind: 'escalation',
      ground: 'legal_proceedings',
      reasoning: `Since the stage 1 response the resident has issued a disrepair claim in the County Court about the same matters (claim form and particulars of claim served on ${longDate(addDays(this.today(), -c.rng.int(3, 20)))}). The court will now decide them.`,
      ombudsmanRightGiven: true,
    });
  }

  private async assignStageTwo(c: Case) {
    if (!this.is(c, 2, 'awaiting_acknowledgement')) return;
    const rng = c.rng;
    // The Code forbids anyone who handled stage 1 from handling stage 2.
    const exclude = new Set([...c.stage1Handlers, ...(c.view.subjectStaffIds as string[])]);
    const h = this.chooseHandler(rng, exclude, 0.4);
    await this.exec(c, this.manager.actor, { type: 'assign', stage: 2, handlerId: h.id, conflict: { hasConflict: false, statement: CONFLICT_STATEMENT } });
    this.take(c, h);
    const startDate = this.stageView(c).startDate;
    const k = rng.chance(0.92) ? rng.weighted([[1, 15], [2, 25], [3, 25], [4, 20], [5, 15]] as const) : rng.int(6, 9);
    const ackDay = this.maxDate(this.wd(startDate, k), this.cal.effectiveStartDate(this.today()));
    this.schedule(this.officeTime(rng, ackDay, this.nowMs), `${c.ref} acknowledge stage 2`, () => this.acknowledge(c));
  }

  private async relatedNew(c: Case) {
    if (!(c.view.status === 'responded' || c.view.status === 'closed')) return;
    const actor = c.handler && c.handler.role !== 'manager' ? c.handler : this.chooseHandler(c.rng, new Set());
    const r = await this.services.complaints.relatedIssue(actor.actor, c.id, c.version, {
      summary: c.plan.issue.related,
      landlordResponsible: true,
      raisedAt: this.iso(),
      separate: true,
    });
    c.view = r.complaint;
    c.version = r.complaint.version;
    const nv = r.newComplaint!;
    const plan: PlannedComplaint = {
      ...c.plan,
      index: 1_000_000 + c.plan.index,
      receivedMs: this.nowMs,
      loggedMs: this.nowMs,
      fate: 'normal',
      lateAccepted: false,
      relatedJoin: false,
      relatedNew: false,
      reassign: false,
      issue: {
        ...c.plan.issue,
        understanding: `A new issue raised after the response to ${c.ref}: ${lcFirst(c.plan.issue.related)}`,
        points: [c.plan.issue.related.replace(/\.$/, '')],
      },
    };
    const rng = Rng.of('related', this.opts.seed, c.plan.index);
    const nc: Case = {
      plan,
      rng,
      id: nv.id,
      ref: nv.reference,
      version: nv.version,
      view: nv,
      resident: c.resident,
      stage1Handlers: new Set(),
      handler: null,
      counted: false,
      points: [{ summary: plan.issue.points[0], landlordResponsible: true }],
      refuseGround: null,
      earlierRef: null,
      notesWritten: new Set(),
    };
    this.registerCase(nc);
    this.schedule(this.officeTime(rng, this.today(), this.nowMs + 10 * MIN), `${nc.ref} assign`, () => this.assign(nc));
  }
}

// ------------------------------------------------------------------------------------------------
// Summary
// ------------------------------------------------------------------------------------------------

export interface DemoSummary {
  users: Record<string, number>;
  residents: number;
  residentNeeds: Record<string, number>;
  contactRestrictions: number;
  representatives: number;
  serviceRequests: { open: number; closed: number; withComplaint: number };
  complaints: {
    total: number;
    stage1: number;
    stage2: number;
    /** Counts by "stage:status", e.g. "1:closed". */
    byStageStatus: Record<string, number>;
    byStatus: Record<string, number>;
    extended: { stage1: number; stage2: number };
    outcomes: { stage1: Record<string, number>; stage2: Record<string, number> };
    refusedAcceptance: number;
    refusedEscalation: number;
    openOverdue: number;
    linked: number;
    fromServiceRequests: number;
    anonymous: number;
    byServiceArea: Record<string, number>;
    byChannel: Record<string, number>;
  };
  notes: number;
  correspondence: number;
  history: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** Counts of what is in the database, for the demo's printed summary and its tests. */
export async function summariseDemo(db: Db, today: LocalDate): Promise<DemoSummary> {
  const count = async (table: 'residents' | 'contact_restrictions' | 'representatives' | 'notes' | 'correspondence' | 'history') =>
    num((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const toMap = (rows: { k: unknown; n: unknown }[]) => Object.fromEntries(rows.map((r) => [String(r.k), num(r.n)])) as Record<string, number>;

  const users = toMap(await db.selectFrom('users').select(['role as k', (eb) => eb.fn.countAll().as('n')]).groupBy('role').execute());
  const needs = toMap(await db.selectFrom('resident_needs').select(['kind as k', (eb) => eb.fn.countAll().as('n')]).groupBy('kind').execute());
  const srs = toMap(await db.selectFrom('service_requests').select(['status as k', (eb) => eb.fn.countAll().as('n')]).groupBy('status').execute());
  const srWith = num((await sql<{ n: string }>`select count(distinct service_request_id) as n from complaints where service_request_id is not null`.execute(db)).rows[0].n);
  const stageStatus = (await db.selectFrom('complaints').select(['stage', 'status', (eb) => eb.fn.countAll().as('n')]).groupBy(['stage', 'status']).execute()).map((r) => ({
    k: `${r.stage}:${r.status}`,
    n: num(r.n),
  }));
  const byStageStatus = Object.fromEntries(stageStatus.map((r) => [r.k, r.n]));
  const byStatus: Record<string, number> = {};
  for (const r of stageStatus) byStatus[r.k.slice(2)] = (byStatus[r.k.slice(2)] ?? 0) + r.n;
  const total = stageStatus.reduce((a, r) => a + r.n, 0);
  const stage2 = stageStatus.filter((r) => r.k.startsWith('2:')).reduce((a, r) => a + r.n, 0);
  const ext = (await sql<{ stage: string; n: string }>`select event->>'stage' as stage, count(distinct complaint_id) as n from history where action = 'extended' group by 1`.execute(db)).rows;
  const outs = (await sql<{ stage: string; outcome: string; n: string }>`select event->>'stage' as stage, event->>'outcome' as outcome, count(*) as n from history where action = 'responded' group by 1, 2`.execute(db)).rows;
  const refusals = (await sql<{ kind: string; n: string }>`select event->>'kind' as kind, count(*) as n from history where action = 'refused' group by 1`.execute(db)).rows;
  const overdue = num(
    (await db.selectFrom('complaints').select((eb) => eb.fn.countAll().as('n')).where('next_due_on', '<', today).where('next_due_on', 'is not', null).executeTakeFirstOrThrow()).n,
  );
  const linked = num((await sql<{ n: string }>`select count(*) as n from complaint_links`.execute(db)).rows[0].n) / 2;
  const fromSr = num((await db.selectFrom('complaints').select((eb) => eb.fn.countAll().as('n')).where('service_request_id', 'is not', null).executeTakeFirstOrThrow()).n);
  const anonymous = num((await db.selectFrom('complaints').select((eb) => eb.fn.countAll().as('n')).where('anonymous', '=', true).executeTakeFirstOrThrow()).n);
  const byArea = toMap(await db.selectFrom('complaints').select(['service_area as k', (eb) => eb.fn.countAll().as('n')]).groupBy('service_area').execute());
  const byChannel = toMap(await db.selectFrom('complaints').select(['channel as k', (eb) => eb.fn.countAll().as('n')]).groupBy('channel').execute());
  const outcomeMap = (stage: string) => Object.fromEntries(outs.filter((o) => o.stage === stage).map((o) => [o.outcome, num(o.n)]));
  return {
    users,
    residents: await count('residents'),
    residentNeeds: needs,
    contactRestrictions: await count('contact_restrictions'),
    representatives: await count('representatives'),
    serviceRequests: { open: srs.open ?? 0, closed: srs.closed ?? 0, withComplaint: srWith },
    complaints: {
      total,
      stage1: total,
      stage2,
      byStageStatus,
      byStatus,
      extended: { stage1: num(ext.find((e) => e.stage === '1')?.n), stage2: num(ext.find((e) => e.stage === '2')?.n) },
      outcomes: { stage1: outcomeMap('1'), stage2: outcomeMap('2') },
      refusedAcceptance: num(refusals.find((r) => r.kind === 'acceptance')?.n),
      refusedEscalation: num(refusals.find((r) => r.kind === 'escalation')?.n),
      openOverdue: overdue,
      linked,
      fromServiceRequests: fromSr,
      anonymous,
      byServiceArea: byArea,
      byChannel,
    },
    notes: await count('notes'),
    correspondence: await count('correspondence'),
    history: await count('history'),
  };
}

// ------------------------------------------------------------------------------------------------
// Entry point
// ------------------------------------------------------------------------------------------------

/** Fill the database with a realistic period of complaints for a landlord of `homes` homes. */
export async function generateDemo(db: Db, opts: DemoOptions): Promise<DemoResult> {
  if (!Number.isInteger(opts.homes) || opts.homes < 100 || opts.homes > 1_000_000) throw new RangeError('homes must be a whole number from 100 to 1,000,000');
  if (!(opts.years > 0 && opts.years <= 10)) throw new RangeError('years must be more than 0 and at most 10');
  if (!Number.isInteger(opts.seed)) throw new RangeError('seed must be a whole number');
  if (!isValidLocalDate(opts.end)) throw new RangeError('end must be a date written YYYY-MM-DD');
  const started = Date.now();
  const run = new DemoRun(db, opts);
  opts.log?.(`Simulating ${run.start} to ${opts.end} for ${opts.homes.toLocaleString('en-GB')} homes (seed ${opts.seed})...`);
  const { staff, errors } = await run.run();
  const summary = await summariseDemo(db, opts.end);
  return {
    homes: opts.homes,
    years: opts.years,
    seed: opts.seed,
    start: run.start,
    end: opts.end,
    staff: staff.map((s) => ({ name: s.name, email: s.email, role: s.role, team: s.team })),
    errors,
    elapsedMs: Date.now() - started,
    summary,
  };
}
