/** Every letter kind, rendered for a realistic case, carries every required element; dropping any one is refused; letters due. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildContext,
  checkTemplate,
  DEFAULT_TEMPLATES,
  LETTER_KINDS,
  lettersDue,
  REQUIRED_ELEMENTS,
  renderLetter,
  sampleFacts,
  TemplateProblem,
  type CaseStep,
} from '../../src/core/letters.js';
import { DEFAULT_SETTINGS } from '../../src/services/settings.js';
import { makePng } from '../helpers/png.js';

const s = DEFAULT_SETTINGS;
const base = { landlord: { name: s.landlord.name, address: s.landlord.address, email: s.landlord.complaintsEmail, phone: s.landlord.complaintsPhone }, ombudsman: s.ombudsman, lgsco: s.lgsco };
const n = (x: string) => x.replace(/\s+/g, ' ').trim().toLowerCase();

test('every kind renders for a realistic case with the value of every required element in its words', () => {
  assert.equal(LETTER_KINDS.length, 11);
  for (const kind of LETTER_KINDS) {
    const ctx = buildContext(sampleFacts(kind, base));
    const r = renderLetter(kind, DEFAULT_TEMPLATES[kind], ctx);
    assert.deepEqual(r.missing, [], kind);
    assert.ok(r.complete, kind);
    for (const el of REQUIRED_ELEMENTS[kind]) {
      for (const v of el.values(ctx)) {
        assert.ok(v.trim(), `${kind}: ${el.key} has a value in the sample case`);
        assert.ok(n(r.text).includes(n(v)), `${kind}: ${el.label} ("${v}") is in the letter`);
      }
    }
    assert.match(r.subject, /CMP-000123/, `${kind}: the reference is in the subject`);
    assert.ok(r.readability.fleschReadingEase >= 60, `${kind} reads as ${r.readability.band}`);
  }
});

test('a template edited to drop any one required element is refused, naming that element', () => {
  for (const kind of LETTER_KINDS) {
    for (const el of REQUIRED_ELEMENTS[kind]) {
      let body = DEFAULT_TEMPLATES[kind].body;
      // Remove every way the element can be included.
      for (const alt of el.fields) for (const f of alt) body = body.split(`{{ ${f} }}`).join('');
      assert.throws(
        () => checkTemplate(kind, { subject: DEFAULT_TEMPLATES[kind].subject, body }),
        (e: any) => e instanceof TemplateProblem && e.missing.some((m) => m.key === el.key) && e.message.includes(el.label),
        `${kind} without ${el.key}`,
      );
    }
    assert.doesNotThrow(() => checkTemplate(kind, DEFAULT_TEMPLATES[kind]), kind);
  }
});

test('letters due: a step calls for its letter until one is sent after it, or a later step overtakes it', () => {
  const at = (d: string) => new Date(`2025-05-${d}T10:00:00Z`);
  const steps: CaseStep[] = [
    { action: 'acknowledged', at: at('01'), stage: 1 },
    { action: 'extended', at: at('05'), stage: 1 },
  ];
  assert.deepEqual(lettersDue(steps, []).map((d) => d.kind), ['stage1_acknowledgement', 'extension']);
  assert.deepEqual(lettersDue(steps, [{ kind: 'stage1_acknowledgement', sentAt: at('02') }]).map((d) => d.kind), ['extension']);
  assert.deepEqual(lettersDue(steps, [{ kind: 'extension', sentAt: at('04') }]).map((d) => d.kind), ['stage1_acknowledgement', 'extension'], 'a letter sent before the step does not count');
  const responded = [...steps, { action: 'responded', at: at('10'), stage: 1 }];
  assert.deepEqual(lettersDue(responded, []).map((d) => d.kind), ['stage1_response'], 'the response overtakes the acknowledgement and extension');
  const refused = [{ action: 'refused', at: at('03'), refusalKind: 'escalation' }];
  assert.deepEqual(lettersDue(refused, []).map((d) => d.kind), ['refusal_escalation']);
  assert.deepEqual(lettersDue([{ action: 'update_given', at: at('03'), stage: 1 }], []), [], 'an update may have been given by phone');
  assert.deepEqual(lettersDue([], [], [{ kind: 'remedy_offer', since: at('06') }]).map((d) => d.kind), ['remedy_offer']);
  assert.deepEqual(lettersDue([], [{ kind: 'remedy_offer', sentAt: at('07') }], [{ kind: 'remedy_offer', since: at('06') }]), []);
});

test('a letterhead logo is printed on the PDF and embedded in the Word document', async () => {
  const { letterPdf, letterDocx, imageSize } = await import('../../src/services/letter-documents.js');
  const { unzipSync } = await import('fflate');
  const png = makePng(40, 12);
  assert.deepEqual(imageSize(png), { width: 40, height: 12, type: 'png' });
  assert.equal(imageSize(Buffer.from('not an image')), null);
  const r = renderLetter('closure', DEFAULT_TEMPLATES.closure, buildContext(sampleFacts('closure', base)));
  const letterhead = { landlordName: 'Example Housing', landlordAddress: '1 High Street', landlordPhone: '0300 000 0000', landlordEmail: 'c@example.org', colour: '#1d5c4d', date: 'Monday 30 June 2025', reference: 'CMP-000123', recipient: ['Ms Priya Shah'] };
  const input = { subject: r.subject, blocks: r.blocks, largePrint: false };
  const withLogo = await letterPdf({ ...input, letterhead: { ...letterhead, logo: { contentType: 'image/png', data: png.toString('base64') } } });
  const without = await letterPdf({ ...input, letterhead });
  assert.match(withLogo.toString('latin1'), /\/Subtype \/Image/);
  assert.doesNotMatch(without.toString('latin1'), /\/Subtype \/Image/);
  const docx = unzipSync(new Uint8Array(await letterDocx({ ...input, letterhead: { ...letterhead, logo: { contentType: 'image/png', data: png.toString('base64') } } })));
  assert.ok(Object.keys(docx).some((k) => k.startsWith('word/media/')), 'the Word document carries the image');
});

test('a logo that cannot be drawn is left off the letter rather than breaking it', async () => {
  const { letterPdf, imageReadable } = await import('../../src/services/letter-documents.js');
  const good = makePng(40, 12);
  const broken = Buffer.concat([good.subarray(0, 33), Buffer.from('0000000a49444154deadbeefdeadbeefdead00000000', 'hex'), good.subarray(good.length - 12)]);
  assert.equal(imageReadable(good), true);
  assert.equal(imageReadable(broken), false);
  const r = renderLetter('closure', DEFAULT_TEMPLATES.closure, buildContext(sampleFacts('closure', base)));
  const letterhead = { landlordName: 'Example Housing', landlordAddress: '1 High Street', landlordPhone: '0300 000 0000', landlordEmail: 'c@example.org', colour: '#1d5c4d', date: 'Monday 30 June 2025', reference: 'CMP-000123', recipient: ['Ms Priya Shah'], logo: { contentType: 'image/png', data: broken.toString('base64') } };
  const pdf = await letterPdf({ subject: r.subject, blocks: r.blocks, largePrint: false, letterhead });
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.doesNotMatch(pdf.toString('latin1'), /\/Subtype \/Image/);
});
