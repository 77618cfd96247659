/** The Code's provisions as data, figures in words, and reading a self-assessment table (pure). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_PROVISIONS, CODE_SECTIONS, compareProvisionIds, provisionsIn } from '../../src/core/code-provisions.js';
import { dateFromText, importAssessment, ofPct, parseCsv, parseTabSeparated } from '../../src/core/self-assessment.js';

test('72 provisions from 1.2 to 9.8 in 9 sections, in form order, each with its wording', () => {
  assert.equal(CODE_PROVISIONS.length, 72);
  assert.equal(CODE_SECTIONS.length, 9);
  assert.deepEqual(CODE_SECTIONS.map((s) => provisionsIn(s.number).length), [5, 5, 7, 3, 15, 20, 4, 5, 8]);
  const ids = CODE_PROVISIONS.map((p) => p.id);
  assert.deepEqual([...ids].sort(compareProvisionIds), ids);
  assert.equal(new Set(ids).size, 72);
  for (const p of CODE_PROVISIONS) assert.ok(p.requirement.length > 40 && !/<[a-z]/.test(p.requirement), p.id);
  assert.match(CODE_PROVISIONS.find((p) => p.id === '2.2')!.requirement, /\n• The issue giving rise to the complaint occurred over twelve months ago\./);
});

test('figures in words', () => {
  assert.equal(ofPct(1204, 1237), '1,204 of 1,237 (97.3%)');
  assert.equal(ofPct(0, 0), '0 of 0');
  assert.equal(dateFromText('Friday 5 June 2026'), '2026-06-05');
  assert.equal(dateFromText('5 June 2026'), '2026-06-05');
  assert.equal(dateFromText('5 Juny 2026'), null);
});

test('a table with cells broken across lines, section titles and a ruled line', () => {
  const text = [
    'Section 1: Definition of a complaint',
    'Code provision\tCode requirement\tComply: Yes / No\tEvidence\tCommentary & explanation',
    '1.2\tA complaint must be defined as…\tYes\tPolicy\tIn section 2.',
    '1.3\tA resident does not have to use the word\tYes\tPolicy and procedure\tSection 2.2 of the policy confirms these requirements.',
    '',
    '\tin line with the policy.\t\t\tOur CRM logs representatives.',
    '--\t---\t--\t--\t--',
    '1.10\tNot a provision\tYes\tx\ty',
    '6.1\tTriage\tNo – partly\tTriage notes\tWe are building it.',
  ].join('\n');
  const r = importAssessment(parseTabSeparated(text));
  assert.deepEqual(r.rows.map((x) => x.provisionId), ['1.2', '1.3', '6.1']);
  assert.equal(r.rows[1].commentary, 'Section 2.2 of the policy confirms these requirements.\nOur CRM logs representatives.');
  assert.equal(r.rows[1].evidence, 'Policy and procedure');
  assert.deepEqual([r.rows[2].comply, r.rows[2].complyText], ['no', 'No – partly']);
  assert.equal(r.unplaced.length, 1);
  assert.match(r.unplaced[0].reason, /1\.10 is not a provision/);
  assert.equal(r.missing.length, 69);
});

test('CSV with quoted cells holding commas, quotes and line breaks', () => {
  const rows = parseCsv('\uFEFFCode provision,Code requirement,Comply,Evidence,Commentary\r\n"1.2","Defined as: ""an expression""",Yes,"Policy, section 2","Line one\nline two"\r\n');
  assert.deepEqual(rows[1], ['1.2', 'Defined as: "an expression"', 'Yes', 'Policy, section 2', 'Line one\nline two']);
  const r = importAssessment(rows);
  assert.equal(r.rows[0].commentary, 'Line one\nline two');
});
