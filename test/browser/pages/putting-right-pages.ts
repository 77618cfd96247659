/**
 * Putting things right: a complaint's remedies and actions, "my actions", the learning register
 * and its items, themes and the public "you said, we did" list, and Ombudsman cases with their
 * requests, determination, orders and the open-orders view.
 */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

/** Fill a GOV.UK date input inside the group whose legend is `legend`. */
export async function fillDate(scope: Locator, legend: string, d: [number, number, number]): Promise<void> {
  const group = scope.getByRole('group', { name: legend, exact: true });
  await group.getByLabel('Day').fill(String(d[0]));
  await group.getByLabel('Month').fill(String(d[1]));
  await group.getByLabel('Year').fill(String(d[2]));
}

/** Open a GOV.UK details (a form folded away) by its summary text, inside `scope`. */
async function unfold(scope: Locator, summary: string): Promise<Locator> {
  const details = scope.locator('details', { has: scope.page().locator('summary', { hasText: summary }) }).first();
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  return details;
}

export class RemediesPage extends AbstractPage {
  private constructor(page: Page) {
    super(page);
  }

  static async verifyOnPage(page: Page): Promise<RemediesPage> {
    const p = new RemediesPage(page);
    await p.checkHeading('Remedies and actions');
    return p;
  }

  /** A remedy's card, by its title (like "Financial remedy £350"). */
  remedyCard(title: string | RegExp): Locator {
    return this.page.locator('.govuk-summary-card', { has: this.page.locator('.govuk-summary-card__title', { hasText: title }) });
  }

  async remedyTitles(): Promise<string[]> {
    return (await this.page.locator('[id^="remedy-"] .govuk-summary-card__title').allInnerTexts()).map((s) => s.trim());
  }

  /** The steps offered on a remedy (the folded forms' summaries). */
  async remedySteps(title: string | RegExp): Promise<string[]> {
    const card = this.page.locator('[id^="remedy-"]', { has: this.page.locator('.govuk-summary-card__title', { hasText: title }) });
    return (await card.locator('details summary').allInnerTexts()).map((s) => s.trim());
  }

  async remedyStatus(title: string | RegExp): Promise<string> {
    const row = this.remedyCard(title).locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: /^\s*Status\s*$/ }) });
    return (await row.locator('dd').innerText()).replace(/\s+/g, ' ').trim();
  }

  async addFinancialRemedy(o: { description: string; amount: string; by: [number, number, number] }): Promise<void> {
    const form = this.page.locator('form#nr-form');
    await form.getByLabel('Kind of remedy').selectOption({ label: 'Financial remedy' });
    await form.getByLabel('What will happen').fill(o.description);
    await fillDate(form, 'By when', o.by);
    await form.getByLabel('Amount', { exact: true }).fill(o.amount);
    await navigating(this.page, () => form.getByRole('button', { name: 'Add the remedy' }).click());
  }

  async addAction(o: { description: string; owner: string; due: [number, number, number] }): Promise<void> {
    const form = this.page.locator('form#na-form');
    await form.getByLabel('What will be done').fill(o.description);
    await form.getByLabel('Who owns it').selectOption({ label: o.owner });
    await fillDate(form, 'Due by', o.due);
    await navigating(this.page, () => form.getByRole('button', { name: 'Add the action' }).click());
  }

  /** Run a remedy's step: unfold its form, fill what `fill` fills, press its button. */
  async remedyStep(title: string | RegExp, step: string, fill?: (form: Locator) => Promise<void>): Promise<void> {
    const card = this.page.locator('[id^="remedy-"]', { has: this.page.locator('.govuk-summary-card__title', { hasText: title }) });
    const details = await unfold(card, step);
    if (fill) await fill(details);
    await navigating(this.page, () => details.getByRole('button', { name: step }).click());
  }

  async actionTitles(): Promise<string[]> {
    return (await this.page.locator('[id^="action-"] .govuk-summary-card__title').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  }

  async overdueActions(): Promise<number> {
    return this.page.locator('[id^="action-"] .govuk-tag--red', { hasText: 'Overdue' }).count();
  }
}

export class LearningRegisterPage extends AbstractPage {
  private constructor(page: Page) {
    super(page);
  }

  static async verifyOnPage(page: Page): Promise<LearningRegisterPage> {
    const p = new LearningRegisterPage(page);
    await p.checkHeading('Learning from complaints');
    return p;
  }

  rowFor(reference: string): Locator {
    return this.page.locator('tbody tr', { has: this.page.locator('td', { hasText: reference }) });
  }

  async open(reference: string): Promise<void> {
    await navigating(this.page, () => this.rowFor(reference).getByRole('link').click());
  }
}

export class LearningItemPage extends AbstractPage {
  readonly form: Locator;
  private constructor(page: Page) {
    super(page);
    this.form = page.locator('form#l-form');
  }

  static async verifyOnPage(page: Page): Promise<LearningItemPage> {
    const p = new LearningItemPage(page);
    await p.checkHeading('Learning item');
    return p;
  }

  async record(o: { rootCause: string; whatWentWrong: string; recommendation: string; serviceArea: string; areaResponse: string; improvement?: string; improvedOn?: [number, number, number]; status: string; youSaid?: string; weDid?: string; publish?: boolean }): Promise<void> {
    const f = this.form;
    await f.getByLabel('Root cause').selectOption({ label: o.rootCause });
    await f.getByLabel('What went wrong').fill(o.whatWentWrong);
    await f.getByLabel('Recommendation').fill(o.recommendation);
    await f.getByLabel('Service area that owns it').selectOption({ label: o.serviceArea });
    await f.getByLabel('The service area’s response').fill(o.areaResponse);
    if (o.improvement) await f.getByLabel('What improvement was made').fill(o.improvement);
    if (o.improvedOn) await fillDate(f, 'When the improvement was made', o.improvedOn);
    await f.getByRole('group', { name: 'Status' }).getByLabel(o.status, { exact: true }).check();
    if (o.youSaid) await f.getByLabel('You said', { exact: true }).fill(o.youSaid);
    if (o.weDid) await f.getByLabel('We did', { exact: true }).fill(o.weDid);
    if (o.publish) await f.getByLabel('Publish this as “you said, we did”').check();
    await navigating(this.page, () => f.getByRole('button', { name: 'Save the learning item' }).click());
  }

  async summaryValue(key: string): Promise<string> {
    const row = this.page.locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: new RegExp(`^\\s*${key}\\s*$`) }) });
    return (await row.locator('dd').first().innerText()).replace(/\s+/g, ' ').trim();
  }
}

export class OmbudsmanComplaintPage extends AbstractPage {
  private constructor(page: Page) {
    super(page);
  }

  static async verifyOnPage(page: Page): Promise<OmbudsmanComplaintPage> {
    const p = new OmbudsmanComplaintPage(page);
    await p.checkHeading('Ombudsman cases');
    return p;
  }

  async recordCase(reference: string, openedOn: [number, number, number]): Promise<void> {
    const form = this.page.locator('form#nc-form');
    await form.getByLabel('The Ombudsman’s reference').fill(reference);
    await fillDate(form, 'When the Ombudsman opened the case', openedOn);
    await navigating(this.page, () => form.getByRole('button', { name: 'Record the case' }).click());
  }
}

export class OmbudsmanCasePage extends AbstractPage {
  private constructor(page: Page) {
    super(page);
  }

  static async verifyOnPage(page: Page): Promise<OmbudsmanCasePage> {
    const p = new OmbudsmanCasePage(page);
    await p.checkHeading(/^Ombudsman case /);
    return p;
  }

  async requestInformation(what: string, requestedOn: [number, number, number], dueOn: [number, number, number]): Promise<void> {
    const details = await unfold(this.page.locator('main'), 'Record a request for information');
    await details.getByLabel('What the Ombudsman asked for').fill(what);
    await fillDate(details, 'Date of the request', requestedOn);
    await fillDate(details, 'Reply due by', dueOn);
    await navigating(this.page, () => details.getByRole('button', { name: 'Record the request' }).click());
  }

  async requestStates(): Promise<string[]> {
    return (await this.page.locator('[id^="request-"] .govuk-tag').allInnerTexts()).map((s) => s.trim());
  }

  async determine(o: { on: [number, number, number]; findings: { issue: string; kind: string; finding: string }[]; orders: { description: string; due: [number, number, number] }[] }): Promise<void> {
    const form = this.page.locator('form#d-form');
    await fillDate(form, 'Date of the determination', o.on);
    for (const [i, f] of o.findings.entries()) {
      const g = form.getByRole('group', { name: `Issue ${i + 1}`, exact: true });
      await g.getByLabel('The issue').fill(f.issue);
      await g.getByLabel('Kind of issue').selectOption({ label: f.kind });
      await g.getByLabel('Finding').selectOption({ label: f.finding });
    }
    for (const [i, ord] of o.orders.entries()) {
      const g = form.getByRole('group', { name: `Order or recommendation ${i + 1}`, exact: true });
      await g.getByLabel('What it says').fill(ord.description);
      await fillDate(g, 'No later than', ord.due);
    }
    await navigating(this.page, () => form.getByRole('button', { name: 'Record the determination' }).click());
  }

  async findings(): Promise<string[][]> {
    const rows: string[][] = [];
    for (const tr of await this.page.locator('#determination ~ table tbody tr').all()) rows.push((await tr.locator('td').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim()));
    return rows;
  }

  orderCard(description: string): Locator {
    return this.page.locator('[id^="order-"]', { has: this.page.locator('dd', { hasText: description }) });
  }

  async orderState(description: string): Promise<string> {
    return (await this.orderCard(description).locator('.govuk-tag').first().innerText()).trim();
  }

  async recordCompliance(description: string, compliedOn: [number, number, number], evidence: string, sentOn: [number, number, number]): Promise<void> {
    const details = await unfold(this.orderCard(description), 'Record compliance');
    await fillDate(details, 'Date it was complied with', compliedOn);
    await details.getByLabel('Evidence of compliance').fill(evidence);
    await fillDate(details, 'Date the evidence went to the Ombudsman', sentOn);
    await navigating(this.page, () => details.getByRole('button', { name: 'Record compliance' }).click());
  }

  severeWarning(): Locator {
    return this.page.locator('.govuk-warning-text');
  }
}

export class OpenOrdersPage extends AbstractPage {
  private constructor(page: Page) {
    super(page);
  }

  static async visit(page: Page): Promise<OpenOrdersPage> {
    await page.goto('/ombudsman/orders');
    return OpenOrdersPage.verifyOnPage(page);
  }

  static async verifyOnPage(page: Page): Promise<OpenOrdersPage> {
    const p = new OpenOrdersPage(page);
    await p.checkHeading('Open Ombudsman orders');
    return p;
  }

  /** [what, state] per row. */
  async rows(): Promise<string[][]> {
    const out: string[][] = [];
    for (const tr of await this.page.locator('tbody tr').all()) {
      const cells = (await tr.locator('td').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
      out.push([cells[0], cells[4]]);
    }
    return out;
  }
}
