/**
 * The worklists' filter fields (views/partials/filters.njk) write what GOV.UK Frontend's select,
 * checkboxes and button macros write for the same field, so the pages look and behave the same
 * (classes, ids, names, data-module, selected and checked), only without the macros' cost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createViews } from '../../src/web/render.js';

const views = createViews();

/** The markup without the whitespace between and inside tags, which a browser ignores here. */
function normalise(html: string): string {
  return html.replace(/\s+/g, ' ').replace(/>\s+/g, '>').replace(/\s+</g, '<').replace(/\s+>/g, '>').trim();
}

function render(src: string, ctx: Record<string, unknown>): string {
  return views.renderString(
    `{% from "govuk/components/select/macro.njk" import govukSelect %}{% from "govuk/components/checkboxes/macro.njk" import govukCheckboxes %}{% from "govuk/components/button/macro.njk" import govukButton %}{% from "partials/filters.njk" import filterSelect, filterCheckbox %}${src}`,
    ctx,
  );
}

const items = [
  { value: '', text: 'All service areas' },
  { value: 'Repairs', text: 'Repairs' },
  { value: 'Anti-social behaviour & noise', text: 'Anti-social behaviour & noise <loud>' },
  { value: '2', text: 'Stage 2' },
];

test('a filter select is what govukSelect writes, whichever value is chosen (none, one, one needing escaping, a number-like one)', () => {
  for (const value of [undefined, '', 'Repairs', 'Anti-social behaviour & noise', '2', 'not offered']) {
    const ours = normalise(render('{{ filterSelect("serviceArea", "Service area", items, value) }}', { items, value }));
    const theirs = normalise(render('{{ govukSelect({ id: "serviceArea", name: "serviceArea", label: { text: "Service area" }, items: items, value: value }) }}', { items, value }));
    assert.equal(ours, theirs, `value ${JSON.stringify(value)}`);
    assert.equal((ours.match(/ selected/g) ?? []).length, value && items.some((i) => i.value === value) ? 1 : 0);
  }
  assert.match(normalise(render('{{ filterSelect("a", "A", items, "") }}', { items })), /Anti-social behaviour &amp; noise &lt;loud&gt;/);
});

test('a filter checkbox is what govukCheckboxes writes for one small checkbox in a fieldset, ticked or not', () => {
  for (const checked of [true, false]) {
    const ours = normalise(render('{{ filterCheckbox("vulnerable", "Resident", "true", "Vulnerable resident", checked) }}', { checked }));
    const theirs = normalise(
      render('{{ govukCheckboxes({ name: "vulnerable", classes: "govuk-checkboxes--small", fieldset: { legend: { text: "Resident", classes: "govuk-fieldset__legend--s" } }, items: [{ value: "true", text: "Vulnerable resident", checked: checked }] }) }}', { checked }),
    );
    assert.equal(ours, theirs, `checked ${checked}`);
    assert.equal(ours.includes(' checked'), checked);
  }
});

test('the worklist page writes its filters as GOV.UK would, with the chosen ones selected', async () => {
  const page = normalise(
    views.render('work.njk', {
      title: 'My work',
      items: [],
      counts: { overdue: 0, due_today: 0, due_soon: 0, on_track: 0, total: 0 },
      q: { handler: 'me', stage: '2', serviceArea: 'Repairs', vulnerable: 'true' },
      handlerOptions: '',
      settings: { serviceAreas: ['Repairs', 'Estate services'], categories: ['Delay'] },
    }),
  );
  const button = normalise(render('{{ govukButton({ text: "Apply filters", classes: "govuk-button--secondary govuk-!-margin-bottom-0" }) }}', {}));
  assert.ok(page.includes(button), 'the Apply filters button');
  assert.ok(page.includes('<option value="2" selected>Stage 2</option>'));
  assert.ok(page.includes('<option value="Repairs" selected>Repairs</option>'));
  assert.ok(page.includes('<option value="">Any time</option>'));
  assert.ok(page.includes('id="vulnerable" name="vulnerable" type="checkbox" value="true" checked>'));
  assert.ok(page.includes('id="extended" name="extended" type="checkbox" value="true">'));
});
