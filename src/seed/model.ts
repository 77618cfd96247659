/** Deterministic facts about each home and its household, shared by the seed's workers. */
import { Rng } from '../demo/generate.js';

export interface ShardSpec {
  worker: number;
  databaseUrl: string;
  seed: number;
  homes: number;
  homeFrom: number;
  homeTo: number;
  complaintFrom: number;
  complaintTo: number;
  sliceStartMs: number;
  sliceEndMs: number;
  startMs: number;
  endMs: number;
  landlordName: string;
  staff: { id: string; name: string; role: string; team: string | null }[];
}

/** A household's id follows from its home number, so any worker can refer to any resident. */
export function residentId(home: number): string {
  const hex = home.toString(16).padStart(12, '0');
  return `5eed0000-0000-4000-8000-${hex}`;
}

const GIVEN = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Grace', 'Sophia', 'Lily', 'Emily', 'Freya', 'Aisha', 'Fatima', 'Zainab', 'Maria', 'Patricia', 'Susan', 'Margaret', 'Janet', 'Karen', 'Joy', 'Oliver', 'George', 'Noah', 'Arthur', 'Muhammad', 'Leo', 'Harry', 'Jack', 'Oscar', 'Charlie', 'David', 'John', 'Michael', 'Paul', 'Mark', 'Tariq', 'Kwame', 'Tomasz', 'Piotr', 'Andrei'];
// Roughly Zipf-distributed, like real surnames: a few very common, a long tail.
const SURNAMES = ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Singh', 'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali', 'Hunt', 'Hussain', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight', 'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens', 'Jenkins', 'Murray', 'Dixon', 'Harvey', 'Okafor', 'Nowak', 'Kowalski', 'Mensah', 'Osei', 'Ahmed', 'Rahman', 'Chowdhury', 'Ibrahim', 'Popescu'];
const ZIPF_CUM = (() => {
  const w = SURNAMES.map((_, i) => 1 / (i + 20));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();
// The long tail: a third of households have a less common name (1,000 of them), so the commonest
// (Smith) is about 1.6%, near the real figure for England.
const TAIL_A = ['Ash', 'Brook', 'Cal', 'Dun', 'Elm', 'Fair', 'Gold', 'Hart', 'Ing', 'Kirk', 'Lang', 'Mar', 'New', 'Old', 'Pen', 'Rad', 'Stan', 'Thorn', 'Under', 'Wal', 'Whit', 'Win', 'Hol', 'Brad', 'Chad', 'Dal', 'Fen', 'Hay', 'Lind', 'Mel', 'Nor', 'Ox', 'Ped', 'Rush', 'Sel', 'Tem', 'Upton', 'Ver', 'Wes', 'York'];
const TAIL_B = ['worth', 'field', 'ley', 'ton', 'wood', 'ford', 'by', 'ham', 'well', 'more', 'stone', 'bridge', 'dale', 'croft', 'hurst', 'combe', 'wick', 'thorpe', 'shaw', 'low', 'den', 'ridge', 'gate', 'mere', 'brook'];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Green Lane', 'Manor Road', 'Park Road', 'Queens Road', 'Kings Road', 'Mill Lane', 'New Road', 'School Lane', 'The Crescent', 'Grange Road', 'Albert Road', 'Springfield Road', 'Windsor Close', 'Orchard Way', 'Beech Grove', 'Elm Court'];
const TOWNS: readonly [string, string][] = [
  ['London', 'E'], ['London', 'SE'], ['London', 'N'], ['Birmingham', 'B'], ['Manchester', 'M'], ['Leeds', 'LS'], ['Sheffield', 'S'], ['Bristol', 'BS'], ['Liverpool', 'L'], ['Newcastle upon Tyne', 'NE'],
  ['Nottingham', 'NG'], ['Leicester', 'LE'], ['Coventry', 'CV'], ['Bradford', 'BD'], ['Hull', 'HU'], ['Stoke-on-Trent', 'ST'], ['Wolverhampton', 'WV'], ['Plymouth', 'PL'], ['Southampton', 'SO'], ['Norwich', 'NR'],
];
const INWARD = 'ABDEFGHJLNPQRSTUWXYZ';

export interface HomeFacts {
  reference: string;
  title: string;
  givenName: string;
  familyName: string;
  email: string | null;
  phone: string | null;
  line1: string;
  town: string;
  postcode: string;
  postcodeKey: string;
  propertyReference: string;
  tenure: string;
  preferred: string;
  needs: string;
  need: { kind: 'vulnerability' | 'disability' | 'adjustment'; description: string } | null;
}

/** About 15 homes share a postcode, as in a real street. */
export function postcodeOf(home: number): string {
  const unit = Math.floor(home / 15);
  const [, area] = TOWNS[unit % TOWNS.length];
  const district = 1 + (Math.floor(unit / TOWNS.length) % 30);
  const sector = Math.floor(unit / (TOWNS.length * 30)) % 10;
  const u = Math.floor(unit / (TOWNS.length * 300));
  return `${area}${district} ${sector}${INWARD[u % 20]}${INWARD[Math.floor(u / 20) % 20]}`;
}

export function homeFacts(home: number, seed: number): HomeFacts {
  const r = Rng.of(seed, 'h', home);
  const female = r.chance(0.56);
  const givenName = GIVEN[(female ? 0 : 20) + r.int(0, 19)];
  const x = r.next();
  let familyName: string;
  if (r.chance(1 / 3)) familyName = TAIL_A[r.int(0, TAIL_A.length - 1)] + TAIL_B[r.int(0, TAIL_B.length - 1)];
  else {
    let s = 0;
    while (ZIPF_CUM[s] < x && s < SURNAMES.length - 1) s++;
    familyName = SURNAMES[s];
  }
  const unit = Math.floor(home / 15);
  const [town] = TOWNS[unit % TOWNS.length];
  const postcode = postcodeOf(home);
  const hasEmail = r.chance(0.7);
  const needRoll = r.next();
  const need = needRoll < 0.06
    ? { kind: 'vulnerability' as const, description: 'Lives alone and has a long-term health condition; call before visiting.' }
    : needRoll < 0.1
      ? { kind: 'disability' as const, description: 'Uses a wheelchair: needs step-free access for appointments.' }
      : needRoll < 0.13
        ? { kind: 'adjustment' as const, description: 'Large print letters, please.' }
        : null;
  return {
    reference: `R${String(home + 1).padStart(7, '0')}`,
    title: female ? (r.chance(0.5) ? 'Ms' : 'Mrs') : 'Mr',
    givenName,
    familyName,
    email: hasEmail ? `${givenName.toLowerCase()}.${familyName.toLowerCase()}${home}@example.net` : null,
    phone: `07${String(700000000 + ((home * 7919) % 299999999)).padStart(9, '0')}`,
    line1: `${1 + (home % 15) * 2} ${STREETS[unit % STREETS.length]}`,
    town,
    postcode,
    postcodeKey: postcode.replace(/\s+/g, ''),
    propertyReference: `P${String(home + 1).padStart(8, '0')}`,
    tenure: r.chance(0.9) ? 'LCRA' : 'LCHO',
    preferred: hasEmail ? 'email' : r.chance(0.5) ? 'phone' : 'letter',
    needs: need?.kind === 'adjustment' ? '["large_print"]' : '[]',
    need,
  };
}
