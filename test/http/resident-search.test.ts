/**
 * Finding residents by name (GET /api/v1/residents?name=…). The search reads its page from the
 * name indexes of migration 0014 instead of every household with the name; it must still find
 * exactly the residents it always found: every word the start of the family or the given name, in
 * any case. Checked here against a plain filter over every resident, for many queries, with the
 * order the search promises (family-name matches by family then given name, then given-name
 * matches by given then family name) and a page that is a prefix of that order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const PEOPLE: [string | null, string | null][] = [
  ['Priya', 'Shah'],
  ['Sam', 'Smith'],
  ['adam', 'smith'],
  ['Zoe', 'SMITH'],
  ['Smithy', 'Adams'],
  ['Mark', 'Smithson'],
  ['Shahid', 'Khan'],
  ['Anna', 'Shaw'],
  ['Anna', 'Marsh'],
  ['Marsha', 'Anderson'],
  [null, 'Smith'],
  ['Smith', null],
  ['Ann', 'O’Brien'],
  ['Jo', 'de la Cruz'],
  ['Ali', '100%_Real'],
  ['Sam', 'Sam'],
];

interface Found {
  id: string;
  givenName: string | null;
  familyName: string | null;
}

const lower = (s: string | null) => (s ?? '').toLowerCase();
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What the search promises, worked out the plain way over everyone. */
function expected(all: Found[], name: string): Found[] {
  const words = name.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const starts = (s: string | null, w: string) => s !== null && s.toLowerCase().startsWith(w);
  const matches = all.filter((r) => words.every((w) => starts(r.familyName, w) || starts(r.givenName, w)));
  // NULLs sort last in PostgreSQL's ascending order.
  const key = (s: string | null) => (s === null ? '\uffff' : lower(s));
  const byFamily = matches
    .filter((r) => starts(r.familyName, words[0]))
    .sort((a, b) => cmp(key(a.familyName), key(b.familyName)) || cmp(key(a.givenName), key(b.givenName)) || cmp(a.id, b.id));
  const byGiven = matches
    .filter((r) => !starts(r.familyName, words[0]))
    .sort((a, b) => cmp(key(a.givenName), key(b.givenName)) || cmp(key(a.familyName), key(b.familyName)) || cmp(a.id, b.id));
  return [...byFamily, ...byGiven];
}

forEachBackend('finding residents by name', (backend) => {
  let t: TestApp;
  const all: Found[] = [];
  before(async () => {
    t = await startTestApp(await backend.open());
    for (const [givenName, familyName] of PEOPLE) {
      const r = await t.call('POST', '/api/v1/residents', { body: { givenName, familyName, postcode: 'B15 2TT' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      all.push({ id: r.body.id, givenName: r.body.givenName, familyName: r.body.familyName });
    }
  });
  after(async () => {
    await t?.close();
  });

  const ids = (xs: Found[]) => xs.map((x) => x.id);
  const search = async (name: string, limit?: number) => {
    const r = await t.call('GET', `/api/v1/residents?name=${encodeURIComponent(name)}${limit ? `&limit=${limit}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items as Found[];
  };

  test('finds the same people as a plain filter, in the promised order', async () => {
    for (const q of ['smith', 'SMITH', 'Smi', 'sh', 'sha', 'pri sha', 'sha pri', 'anna', 'mar', 'marsh', 'sam', 'sam sam', 'smith smith', 'o’b', 'de', 'de la', '100%', '100%_', '%', '_', 'zz', 'a', ' s ']) {
      assert.deepEqual(ids(await search(q)), ids(expected(all, q)), `search for "${q}"`);
    }
  });

  test('someone found only by their given name is still found, after the family-name matches', async () => {
    const found = await search('smith');
    const names = found.map((f) => `${f.givenName ?? ''} ${f.familyName ?? ''}`.trim());
    assert.ok(names.includes('Smithy Adams'), names.join(', '));
    assert.ok(names.includes('Smith'), 'a resident with only a given name');
    assert.ok(names.indexOf('Smithy Adams') > names.indexOf('Mark Smithson'), 'family-name matches come first');
  });

  test('a page is the start of the whole order, across both parts', async () => {
    for (const q of ['smith', 'sha', 'anna', 'mar']) {
      const whole = ids(expected(all, q));
      for (let limit = 1; limit <= whole.length + 1; limit++) {
        assert.deepEqual(ids(await search(q, limit)), whole.slice(0, limit), `"${q}" limit ${limit}`);
      }
    }
  });

  test('a wildcard in the name is taken literally', async () => {
    assert.deepEqual(ids(await search('%')), []);
    assert.deepEqual(ids(await search('100%_')), ids(all.filter((r) => r.familyName === '100%_Real')));
  });
});
