/**
 * Pages are cheap to render: templates are read and compiled once, not on every request (in
 * production and in tests alike), and the speed-ups to Nunjucks' runtime change nothing it renders.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nunjucks from 'nunjucks';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { createViews } from '../../src/web/render.js';
import { signIn } from './session.js';

/** Counts template files read and templates compiled while `fn` runs. */
async function counting<T>(fn: () => Promise<T> | T): Promise<{ result: T; reads: number; compiles: number }> {
  const loader = (nunjucks as any).FileSystemLoader.prototype;
  const template = (nunjucks as any).Template.prototype;
  const getSource = loader.getSource;
  const compile = template._compile;
  let reads = 0;
  let compiles = 0;
  loader.getSource = function (this: unknown, ...args: unknown[]) {
    reads++;
    return getSource.apply(this, args);
  };
  template._compile = function (this: unknown, ...args: unknown[]) {
    compiles++;
    return compile.apply(this, args);
  };
  try {
    return { result: await fn(), reads, compiles };
  } finally {
    loader.getSource = getSource;
    template._compile = compile;
  }
}

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const ERROR_PAGE = { title: 'Something went wrong', message: 'Try again.' };

test('production views read and compile each template once: a second render reads no file and compiles nothing', async () => {
  const views = withEnv({ NODE_ENV: 'production', PUTRIGHT_VIEW_RELOAD: undefined }, () => createViews());
  const first = await counting(() => views.render('error.njk', ERROR_PAGE));
  assert.ok(first.reads > 0 && first.compiles > 0, 'the first render reads and compiles the page, the layout and the macros it imports');
  const second = await counting(() => views.render('error.njk', ERROR_PAGE));
  assert.equal(second.result, first.result);
  assert.deepEqual({ reads: second.reads, compiles: second.compiles }, { reads: 0, compiles: 0 });
});

test('only development with PUTRIGHT_VIEW_RELOAD=true reloads templates on every render', async () => {
  const views = withEnv({ NODE_ENV: 'development', PUTRIGHT_VIEW_RELOAD: 'true' }, () => createViews());
  await views.render('error.njk', ERROR_PAGE);
  const second = await counting(() => views.render('error.njk', ERROR_PAGE));
  assert.ok(second.reads > 0 && second.compiles > 0, 'reloading reads and compiles again (so the counting above can see it)');
});

test('GOV.UK macros that include "./template.njk" each get their own template, however often they are called', () => {
  const views = createViews();
  const src = `{% from "govuk/components/button/macro.njk" import govukButton %}{% from "govuk/components/input/macro.njk" import govukInput %}
{% for i in [1, 2] %}{{ govukButton({ text: "Save " + i }) }}{{ govukInput({ id: "f" + i, name: "f" + i, label: { text: "Field " + i } }) }}{% endfor %}`;
  const html = views.renderString(src, {});
  assert.equal(html.match(/<button type="submit" class="govuk-button"/g)?.length, 2, html);
  assert.equal(html.match(/class="govuk-input"/g)?.length, 2, html);
  assert.equal(html.match(/<label class="govuk-label" for="f\d">/g)?.length, 2, html);
  assert.match(html, /Save 1[\s\S]*Field 1[\s\S]*Save 2[\s\S]*Field 2/);
});

test('variables set in templates behave exactly as in Nunjucks: loops, outer variables, macros, dotted loop names', () => {
  createViews();
  assert.equal((nunjucks as any).runtime.Frame.prototype.set.putrightFast, true, 'the faster Frame.set is in place');
  const env = new nunjucks.Environment([], { autoescape: true });
  // Expected outputs are what Nunjucks 3.2.4 renders without the change.
  const cases: [string, string][] = [
    ['{% set acc = [] %}{% for x in [1, 2, 3] %}{% set acc = (acc.push(x * loop.index), acc) %}{% endfor %}{{ acc | join(",") }}', '1,4,9'],
    ['{% set total = 0 %}{% for x in [1, 2, 3] %}{% set total = total + x %}{% endfor %}{{ total }}', '6'],
    ['{% for x in [1, 2] %}{% set y = x * 10 %}{% endfor %}[{{ y }}]', '[]'],
    [
      '{% for a in ["a", "b"] %}{% for b in [1, 2, 3] %}{{ a }}{{ loop.index }}{{ "F" if loop.first }}{{ "L" if loop.last }}{{ loop.revindex }}{{ loop.length }} {% endfor %}{{ loop.index0 }}/{{ loop.revindex0 }}; {% endfor %}',
      'a1F33 a223 a3L13 0/1; b1F33 b223 b3L13 1/0; ',
    ],
    ['{% macro m(a) %}{% set b = a %}{{ b }}{% endmacro %}{% set b = "outer" %}{{ m("inner") }}-{{ b }}', 'inner-outer'],
    ['{% set x = { a: 1 } %}{% for k, v in { p: 1, q: 2 } %}{{ k }}={{ v }}:{{ loop.index }} {% endfor %}{{ x.a }}', 'p=1:1 q=2:2 1'],
    ['{% macro k(a, b = "d") %}{{ a }}{{ b }}{{ caller() if caller }}{% endmacro %}{{ k("x") }} {{ k("x", b = "y") }} {% call k("c") %}body{% endcall %}', 'xd xy cdbody'],
  ];
  for (const [src, expected] of cases) assert.equal(env.renderString(src, {}), expected, src);
});

test('a macro file imported without its context runs its top level once, and its macros still answer each call afresh', () => {
  const sources: Record<string, string> = {
    'm.njk': '{% set greeting = "Hello" %}{% macro say(x) %}{{ greeting }} {{ x }}{% endmacro %}',
    'ctx.njk': '{% macro who() %}{{ name }}{% endmacro %}',
    'page.njk': '{% from "m.njk" import say %}{% from "ctx.njk" import who with context %}{{ say(a) }}|{{ say(b) }}|{{ who() }}',
  };
  const loader = { getSource: (name: string) => ({ src: sources[name], path: name, noCache: false }) };
  createViews(); // puts the memo in place
  const env = new nunjucks.Environment(loader as any, { autoescape: true });
  const template = env.getTemplate('m.njk');
  let runs = 0;
  (template as any).compile();
  const root = (template as any).rootRenderFunc;
  (template as any).rootRenderFunc = function (this: unknown, ...args: unknown[]) {
    runs++;
    return root.apply(this, args);
  };
  assert.equal(env.render('page.njk', { a: 'Ann', b: 'Bo', name: 'first' }), 'Hello Ann|Hello Bo|first');
  assert.equal(env.render('page.njk', { a: 'Cy', b: '<b>', name: 'second' }), 'Hello Cy|Hello &lt;b&gt;|second', 'an import with context is not kept: it sees each render\'s variables');
  assert.equal(runs, 1, 'the top level of m.njk ran once for two renders and four calls');
});

test('keeping imported macros changes nothing a page renders: the case page with every form in error, with and without', () => {
  const views = createViews();
  const Template = (nunjucks as any).Template;
  const memo = Template.prototype.getExported;
  assert.equal(typeof memo.unmemoised, 'function', 'the memo is in place');
  const errors = { errorList: [{ text: 'Enter a note', href: '#note-body' }], fields: { 'note-body': { text: 'Enter a note' }, 'note-restricted': { text: 'Choose' }, 'message-direction': { text: 'Choose' }, 'message-channel': { text: 'Choose' }, 'message-body': { text: 'Enter the message' }, file: { text: 'Choose a file' } } };
  const stage = { stage: 1, acknowledgementDue: '2025-04-24', acknowledgedOn: null, responseDue: '2025-05-08', extensions: [], remedies: [], outstandingActions: [], handler: { name: 'Kim' } };
  const ctx = {
    title: 'Complaint CMP-000001', complaint: { id: 'x', reference: 'CMP-000001', stage: 1, statusLabel: 'Investigating', status: 'investigating', stages: [stage], links: [], vulnerable: true, description: 'Boiler <broken>', receivedAt: '2025-04-17T09:00:00Z', channel: 'phone' },
    timeline: [{ label: 'Received', by: 'Kim', at: '2025-04-17T09:00:00Z', text: 'By phone' }], notes: [], messages: [], attachments: [], steps: ['acknowledge'], stepLabels: { acknowledge: 'Acknowledge' },
    channels: ['phone', 'email'], channelLabels: { phone: 'Phone', email: 'Email' }, remedyLabels: {}, mayHandle: true, mayRestricted: true, errors, values: { body: 'draft & note' }, done: 'Saved', lettersDue: [], failedEmails: [],
    actor: { name: 'Kim' }, navigation: [{ href: '/work', text: 'My work', active: true }], csrfToken: 't', cspNonce: 'n',
  };
  views.render('complaint/case.njk', { ...ctx, values: { body: 'another draft' } });
  const kept = views.render('complaint/case.njk', ctx);
  assert.equal(views.render('complaint/case.njk', ctx), kept, 'rendered again from the kept answers');
  Template.prototype.getExported = memo.unmemoised;
  let fresh: string;
  try {
    fresh = views.render('complaint/case.njk', ctx);
  } finally {
    Template.prototype.getExported = memo;
  }
  assert.equal(kept, fresh);
  for (const text of ['Enter a note', 'Enter the message', 'Choose a file', 'draft &amp; note', 'Boiler &lt;broken&gt;']) assert.ok(kept.includes(text), text);
});

test('a GOV.UK macro called again with the same parameters answers the same, and with others as it should', () => {
  const views = createViews();
  const src = `{% from "govuk/components/button/macro.njk" import govukButton %}{% from "govuk/components/input/macro.njk" import govukInput %}{% from "govuk/components/fieldset/macro.njk" import govukFieldset %}
{% for t in texts %}{{ govukButton({ text: t }) }}|{% endfor %}{{ govukInput({ id: "a", name: "a", label: { text: "A" }, value: value }) }}
{% call govukFieldset({ legend: { text: "Legend" } }) %}<p>{{ inside }}</p>{% endcall %}`;
  for (const [value, inside] of [['first', 'one'], ['second', 'two'], ['first', 'three']]) {
    const html = views.renderString(src, { texts: ['Save', 'Send', 'Save', '<b>Bold</b>'], value, inside });
    const buttons = html.split('|').slice(0, 4).map((b) => b.replace(/\s+/g, ' ').trim());
    assert.equal(buttons[0], buttons[2], 'the same parameters, the same answer');
    assert.notEqual(buttons[0], buttons[1]);
    assert.match(buttons[1], />\s*Send\s*</);
    assert.match(buttons[3], /&lt;b&gt;Bold&lt;\/b&gt;/, 'still escaped');
    assert.match(html, new RegExp(`value="${value}"`), 'a field shows this render\'s value');
    assert.match(html, new RegExp(`<p>${inside}</p>`), 'a call with a caller runs afresh: its body is this render\'s');
  }
});

forEachBackend('pages render from compiled templates', (backend) => {
  let t: TestApp;
  let manager: string;
  let id: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    manager = await signIn(t.app, 'kim@test.example', 'a long enough password');
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Boiler broken for a week', outcomeSought: 'Fix the boiler', resident: { givenName: 'Ann', familyName: 'Lee', postcode: 'N1 1AA' } } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    id = c.body.id;
  });
  after(async () => {
    await t?.close();
  });

  test('the worklists and the case page: the second request reads no template file and compiles nothing', async () => {
    const urls = ['/work', '/work?handler=all', '/team', `/complaints/${id}`];
    const get = async () => Promise.all(urls.map((url) => t.app.inject({ method: 'GET', url, headers: { cookie: manager } })));
    const first = await counting(get);
    for (const r of first.result) assert.equal(r.statusCode, 200, r.body);
    assert.ok(first.compiles > 0, 'the first requests compile their templates');
    const second = await counting(get);
    for (const r of second.result) assert.equal(r.statusCode, 200, r.body);
    assert.match(second.result[3].body, /Boiler broken for a week/);
    assert.deepEqual({ reads: second.reads, compiles: second.compiles }, { reads: 0, compiles: 0 });
  });
});
