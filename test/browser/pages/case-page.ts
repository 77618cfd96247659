/** /complaints/:id: the case, its deadlines, definition, timeline and the steps allowed now. */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export class CasePage extends AbstractPage {
  readonly statusTag: Locator;
  readonly actions: Locator;
  readonly timeline: Locator;
  readonly deadlines: Locator;

  private constructor(page: Page) {
    super(page);
    this.statusTag = this.heading.locator('.govuk-tag');
    this.actions = page.locator('h2:text-is("Actions") + ul');
    this.timeline = page.locator('.moj-timeline');
    this.deadlines = page.locator('h2:text-is("Deadlines") + dl');
  }

  static async visit(page: Page, id: string): Promise<CasePage> {
    await page.goto(`/complaints/${id}`);
    return CasePage.verifyOnPage(page);
  }

  static async verifyOnPage(page: Page): Promise<CasePage> {
    const p = new CasePage(page);
    await p.checkHeading(/^CMP-\d+\b/);
    return p;
  }

  /** The complaint's id, from the address. */
  get id(): string {
    const m = /\/complaints\/([0-9a-f-]{36})/.exec(this.page.url());
    if (!m) throw new Error(`not a case page address: ${this.page.url()}`);
    return m[1];
  }

  async reference(): Promise<string> {
    return /CMP-\d+/.exec(await this.heading.innerText())![0];
  }

  async status(): Promise<string> {
    return (await this.statusTag.innerText()).trim();
  }

  /** The steps offered now, as their link texts. */
  async availableSteps(): Promise<string[]> {
    if (!(await this.actions.count())) return [];
    return this.actions.getByRole('link').allInnerTexts();
  }

  /** Follow one of the Actions links, like "Assign a handler". */
  async startStep(label: string): Promise<void> {
    await navigating(this.page, () => this.actions.getByRole('link', { name: label, exact: true }).click());
  }

  /** The timeline's entries, newest first, as "title: description". */
  async timelineEntries(): Promise<string[]> {
    const items = this.timeline.locator('.moj-timeline__item');
    const out: string[] = [];
    for (const item of await items.all()) {
      const title = (await item.locator('.moj-timeline__title').innerText()).trim();
      const text = (await item.locator('.moj-timeline__description').innerText()).replace(/\s+/g, ' ').trim();
      out.push(`${title}: ${text}`);
    }
    return out;
  }

  /** A row of "The complaint" summary list, by its key. */
  async summaryValue(key: string): Promise<string> {
    const row = this.page.locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: new RegExp(`^\\s*${key}\\s*$`) }) });
    return (await row.locator('dd').first().innerText()).replace(/\s+/g, ' ').trim();
  }

  /** The stage's "Points to answer" table, as [point, responsibility, decision] rows. */
  async points(stage: 1 | 2): Promise<string[][]> {
    const table = this.page.locator(`h2:text-is("Stage ${stage} definition") ~ table`).first();
    const rows: string[][] = [];
    for (const tr of await table.locator('tbody tr').all()) rows.push((await tr.locator('td').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim()));
    return rows;
  }

  async remedies(): Promise<string[]> {
    return (await this.page.locator('h3:text-is("Remedies") + ul li').allInnerTexts()).map((s) => s.trim());
  }
}
