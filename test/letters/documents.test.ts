/**
 * Letters for post: the Word document and the PDF downloaded from the API carry the same words as
 * the email, on the landlord's letterhead (name, address, date, reference, the resident's address).
 * The .docx is unzipped and its word/document.xml read; the PDF's text is extracted with pdfjs.
 * Large print makes every piece of text 16 pt or more in both.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { containsRun, docxText, pdfText, words } from '../helpers/documents.js';
import { useLetterFonts } from '../../src/services/letter-documents.js';

const DEFINITION = {
  understanding: 'Since January there has been damp and black mould in your son’s bedroom. You reported it three times, and each time the mould was painted over but came back within weeks.',
  outcomesSought: 'Find and fix the cause of the damp, treat the mould properly, and replace the damaged carpet.',
  points: [
    { summary: 'The cause of the damp was never investigated', landlordResponsible: true },
    { summary: 'The mould was painted over instead of being treated', landlordResponsible: true },
    { summary: 'The operative was rude on 3 March', landlordResponsible: true },
    { summary: 'Your neighbour’s overflowing gutter', landlordResponsible: false, responsibilityNote: 'The gutter belongs to the neighbouring freeholder, who we have written to' },
  ],
};

/** The footer on each PDF page (the landlord's name is left out where a large-print line would not fit). */
const FOOTER = (ref: string) => new RegExp(`(?:Riverside Homes\\s*·\\s*)?Our reference\\s*${ref}\\s*·\\s*Page\\s*\\d+\\s*of\\s*\\d+`, 'g');

forEachBackend('letters as Word documents and PDFs', (backend) => {
  let t: TestApp;
  let c: any;
  before(async () => {
    t = await startTestApp(await backend.open());
    await t.call('PATCH', '/api/v1/settings', {
      as: t.users.admin,
      body: { landlord: { name: 'Riverside Homes', primaryColour: '#005ea5', logoUrl: null, address: 'Riverside House, 2 Quay Street, Bristol, BS1 4DJ', complaintsEmail: 'complaints@riverside-homes.org.uk', complaintsPhone: '0117 496 0000' } },
    });
    t.clock.set('2025-04-17T09:00:00Z');
    c = (
      await t.call('POST', '/api/v1/complaints', {
        body: {
          channel: 'phone',
          description: 'Mould keeps coming back in my son’s bedroom.',
          serviceArea: 'Damp and mould',
          resident: { title: 'Mr', givenName: 'Łukasz', familyName: 'Nowak', email: 'lukasz@example.net', addressLine1: 'Flat 4, Harbour Court', addressLine2: '18 Canon’s Road', town: 'Bristol', postcode: 'BS1 5UH', communicationNeeds: [] },
        },
      })
    ).body;
    const step = async (name: string, body: Record<string, unknown>) => {
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { body: { version: c.version, ...body } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      c = r.body;
    };
    await step('assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
    t.clock.set('2025-04-22T09:00:00Z');
    await step('acknowledge', { definition: DEFINITION });
    t.clock.set('2025-05-06T11:00:00Z');
    await step('respond', {
      points: [
        { pointId: 'P1', decision: 'upheld', reasons: 'Our damp and mould policy says we inspect within 10 working days of a report. We did not inspect at all.' },
        { pointId: 'P2', decision: 'upheld', reasons: 'Painting over mould does not treat it. This fell below the standard we set for our contractors.' },
        { pointId: 'P3', decision: 'not_upheld', reasons: 'We spoke to the operative and listened to the call recording. We did not find that he was rude, but we are sorry the visit upset you.' },
        { pointId: 'P4', decision: 'outside_responsibility', reasons: 'The gutter is not ours. We have written to the freeholder and asked them to repair it.' },
      ],
      outcome: 'partly_upheld',
      remedies: [
        { type: 'apology', description: 'We are sorry we did not investigate the damp when you first reported it.' },
        { type: 'financial', description: 'For distress and inconvenience, and to replace the carpet', amountPence: 45000, dueBy: '2025-05-20' },
      ],
      outstandingActions: [
        { description: 'A damp survey of the flat', dueBy: '2025-05-13', owner: 'Damp team' },
        { description: 'Mould treatment and redecoration of the bedroom', dueBy: '2025-06-03', owner: 'Repairs team' },
      ],
      nextSteps: 'If you are not happy with our response, you can ask us to escalate your complaint to stage 2.',
    });
  });
  after(async () => {
    await t?.close();
  });

  async function letterAndDocuments(kind: string) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const letter = r.body.letter;
    const docx = await t.app.inject({ method: 'GET', url: letter.downloads.docx, headers: { authorization: `Bearer ${t.users.governance.token}` } });
    assert.equal(docx.statusCode, 200);
    assert.equal(docx.headers['content-type'], 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.match(String(docx.headers['content-disposition']), /^attachment; filename="CMP-\d{6}-/);
    const pdf = await t.app.inject({ method: 'GET', url: letter.downloads.pdf, headers: { authorization: `Bearer ${t.users.governance.token}` } });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    return { letter, docx: docxText(docx.rawPayload), pdf: await pdfText(pdf.rawPayload), pdfBytes: pdf.rawPayload };
  }

  function sameWords(letter: any, text: string, what: string) {
    const email = words(letter.text);
    assert.ok(email.length > 150, 'a real letter');
    const doc = words(text);
    if (!containsRun(doc, email)) {
      // Say where they part, to make a failure readable.
      const at = doc.indexOf(email[0]);
      let i = 0;
      while (at >= 0 && i < email.length && doc[at + i] === email[i]) i++;
      assert.fail(`${what}: the email's words are not all in the document, in order. They part at word ${i}: email "${email.slice(i, i + 8).join(' ')}" vs document "${doc.slice(at + i, at + i + 8).join(' ')}"`);
    }
  }

  function letterhead(text: string, what: string) {
    for (const v of ['Riverside Homes', 'Riverside House', '2 Quay Street', 'BS1 4DJ', '0117 496 0000', 'complaints@riverside-homes.org.uk', 'Mr Łukasz Nowak', 'Flat 4, Harbour Court', '18 Canon’s Road', 'BS1 5UH', 'Tuesday 6 May 2025', `Our reference: ${c.reference}`]) {
      assert.ok(text.replace(/\s+/g, ' ').includes(v), `${what}: letterhead "${v}" missing`);
    }
  }

  test('the stage 1 response: the .docx and the PDF carry the email’s words, on the letterhead', async () => {
    const { letter, docx, pdf, pdfBytes } = await letterAndDocuments('stage1_response');
    sameWords(letter, docx.text, 'docx');
    // Each PDF page ends with its footer: take those out, then the words run on across pages.
    const footer = FOOTER(c.reference);
    assert.ok((pdf.text.match(footer) ?? []).length === pdf.pages, 'a footer on every page');
    sameWords(letter, pdf.text.replace(footer, ' '), 'pdf');
    letterhead(docx.text, 'docx');
    letterhead(pdf.text, 'pdf');
    assert.ok(docx.text.includes(letter.subject) && pdf.text.replace(/\s+/g, ' ').includes(letter.subject), 'the subject as the heading');
    assert.ok(pdf.pages >= 2, 'a full response runs over more than one page');
    assert.ok(Math.min(...pdf.fontSizes) >= 8 && Math.max(...pdf.fontSizes) <= 22);
    if (process.env.PUTRIGHT_KEEP_LETTER_PDF) fs.writeFileSync(process.env.PUTRIGHT_KEEP_LETTER_PDF, pdfBytes);
  });

  test('large print: 16 pt or more throughout, in the PDF and the Word document', async () => {
    const r = await t.call('PATCH', `/api/v1/residents/${c.residentId}`, { body: { version: 1, communicationNeeds: ['large_print'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { letter, docx, pdf, pdfBytes } = await letterAndDocuments('stage1_acknowledgement');
    assert.equal(letter.largePrint, true);
    assert.ok(Math.min(...pdf.fontSizes) >= 16, `smallest PDF text is ${Math.min(...pdf.fontSizes)} pt`);
    const sizes = [...docx.xml.matchAll(/<w:sz w:val="(\d+)"\/>/g)].map((m) => Number(m[1]) / 2);
    assert.ok(sizes.length > 10 && Math.min(...sizes) >= 16, `smallest Word text is ${Math.min(...sizes)} pt`);
    sameWords(letter, docx.text, 'docx');
    sameWords(letter, pdf.text.replace(FOOTER(c.reference), ' '), 'pdf');
    if (process.env.PUTRIGHT_KEEP_LETTER_PDF) fs.writeFileSync(process.env.PUTRIGHT_KEEP_LETTER_PDF.replace(/\.pdf$/, '-large.pdf'), pdfBytes);
  });

  test('without a system font the PDF falls back to Helvetica, spelling names it cannot print as near as it can', async () => {
    useLetterFonts([['/nonexistent/regular.ttf', '/nonexistent/bold.ttf']]);
    try {
      const { letter, pdf } = await letterAndDocuments('stage1_acknowledgement');
      assert.ok(pdf.text.includes('Mr Lukasz Nowak'), 'Ł printed as L');
      sameWords(letter, pdf.text.replace(FOOTER(c.reference), ' '), 'pdf');
    } finally {
      useLetterFonts(null);
    }
  });

  test('downloads need permission to read letters, and refuse another complaint’s letter', async () => {
    const list = await t.call('GET', `/api/v1/complaints/${c.id}/letters`);
    const id = list.body.items[0].id;
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}/letters/${id}.pdf`, { as: t.users.staff })).status, 403);
    const other = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Other', resident: { givenName: 'A', familyName: 'B' } } })).body;
    assert.equal((await t.call('GET', `/api/v1/complaints/${other.id}/letters/${id}.docx`)).status, 404);
  });
});
