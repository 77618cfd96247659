/**
 * What every page has: the header (who is signed in, sign out), the service navigation, the
 * error summary and success banners. Each page object checks it is on its page (its h1) in a
 * static `verifyOnPage`, in the style of ministryofjustice/hmpps-template-typescript.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';

/**
 * Do something that loads a new document (a link, a form post, a redirect) and wait for it to
 * load, so that nothing is read from the page being left.
 */
export async function navigating(page: Page, action: () => Promise<unknown>): Promise<void> {
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await action();
  await committed;
  await page.waitForLoadState('load');
}

export abstract class AbstractPage {
  readonly heading: Locator;
  readonly errorSummary: Locator;
  readonly successBanner: Locator;
  readonly signOutButton: Locator;
  readonly signedInAs: Locator;
  readonly navigation: Locator;

  protected constructor(readonly page: Page) {
    this.heading = page.locator('main h1');
    this.errorSummary = page.locator('.govuk-error-summary');
    this.successBanner = page.locator('.govuk-notification-banner--success');
    this.signOutButton = page.getByRole('button', { name: 'Sign out' });
    this.signedInAs = page.locator('.app-header__user');
    this.navigation = page.getByRole('navigation', { name: 'Menu' });
  }

  /** Wait for the h1 and check it says what this page should. */
  protected async checkHeading(expected: string | RegExp): Promise<void> {
    await this.heading.first().waitFor();
    const text = (await this.heading.first().innerText()).replace(/\s+/g, ' ').trim();
    if (typeof expected === 'string') assert.equal(text, expected, `expected to be on “${expected}” but the h1 is “${text}” (${this.page.url()})`);
    else assert.match(text, expected, `unexpected page: h1 “${text}” (${this.page.url()})`);
  }

  /** The error summary's messages, in order. Empty when there is none. */
  async errorMessages(): Promise<string[]> {
    if (!(await this.errorSummary.count())) return [];
    return (await this.errorSummary.locator('.govuk-error-summary__list li').allInnerTexts()).map((s) => s.trim());
  }

  /** The success banner's text, or null. */
  async successMessage(): Promise<string | null> {
    if (!(await this.successBanner.count())) return null;
    return (await this.successBanner.locator('.govuk-notification-banner__content').innerText()).replace(/\s+/g, ' ').trim();
  }

  async signOut(): Promise<void> {
    await navigating(this.page, () => this.signOutButton.click());
  }

  /** Follow a link in the service navigation. */
  async goTo(linkText: string): Promise<void> {
    await navigating(this.page, () => this.navigation.getByRole('link', { name: linkText, exact: true }).click());
  }
}
