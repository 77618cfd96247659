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
