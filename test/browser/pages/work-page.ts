/** /work: the caseworker's list of open complaints, soonest deadline first. */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export class WorkPage extends AbstractPage {
  static readonly url = '/work';
  readonly table: Locator;
  readonly rows: Locator;
  readonly counts: Locator;

  private constructor(page: Page) {
    super(page);
    this.table = page.locator('table', { has: page.locator('caption', { hasText: 'Open complaints' }) });
    this.rows = this.table.locator('tbody tr');
    this.counts = page.getByRole('list', { name: 'Counts' });
  }

  static async visit(page: Page, query = ''): Promise<WorkPage> {
    await page.goto(`${WorkPage.url}${query ? `?${query}` : ''}`);
    return WorkPage.verifyOnPage(page);
  }

  static async verifyOnPage(page: Page): Promise<WorkPage> {
    const p = new WorkPage(page);
    await p.checkHeading('My work');
    return p;
  }

  rowFor(reference: string): Locator {
    return this.rows.filter({ has: this.page.getByRole('link', { name: reference, exact: true }) });
  }

  /** The references listed, in order. */
  async references(): Promise<string[]> {
    return this.table.locator('tbody tr td[data-label="Reference"] a').allInnerTexts();
  }

  async openComplaint(reference: string): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('link', { name: reference, exact: true }).click());
  }
}
