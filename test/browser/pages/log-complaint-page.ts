/** /complaints/new: log a complaint from any channel. */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export interface NewResident {
  givenName?: string;
  familyName: string;
  addressLine1?: string;
  town?: string;
  postcode?: string;
  email?: string;
  phone?: string;
  tenure: 'Rented (low cost rental)' | 'Shared ownership (low cost home ownership)' | 'Other';
  preferredContact: 'Email' | 'Phone' | 'Letter' | 'Text message';
}

export class LogComplaintPage extends AbstractPage {
  static readonly url = '/complaints/new';
  readonly who: Locator;
  readonly how: Locator;
  readonly whatHappened: Locator;
  readonly outcomeSought: Locator;
  readonly helpNeeded: Locator;
  readonly serviceArea: Locator;
  readonly logButton: Locator;

  private constructor(page: Page) {
    super(page);
    this.who = page.getByRole('group', { name: 'Who is complaining?' });
    this.how = page.getByRole('group', { name: 'How was the complaint made?' });
    this.whatHappened = page.getByLabel('What happened');
    this.outcomeSought = page.getByLabel('What would put it right for them (optional)');
    this.helpNeeded = page.getByLabel('Help or adjustments they need (optional)');
    this.serviceArea = page.getByLabel('Service area (optional)');
    this.logButton = page.getByRole('button', { name: 'Log complaint' });
  }

  static async visit(page: Page): Promise<LogComplaintPage> {
    await page.goto(LogComplaintPage.url);
    return LogComplaintPage.verifyOnPage(page);
  }

  static async verifyOnPage(page: Page): Promise<LogComplaintPage> {
    const p = new LogComplaintPage(page);
    await p.checkHeading('Log a complaint');
    return p;
  }

  async newResident(r: NewResident): Promise<void> {
    await this.who.getByLabel('A new resident').check();
    const fill = async (label: string, value: string | undefined) => {
      if (value !== undefined) await this.page.getByLabel(label, { exact: true }).fill(value);
    };
    await fill('Given name (optional)', r.givenName);
    await fill('Family name', r.familyName);
    await fill('Address line 1', r.addressLine1);
    await fill('Town or city', r.town);
    await fill('Postcode', r.postcode);
    await fill('Email address', r.email);
    await fill('Phone number', r.phone);
    await this.page.getByRole('group', { name: 'Tenure' }).getByLabel(r.tenure, { exact: true }).check();
    await this.page.getByRole('group', { name: 'How they prefer to be contacted' }).getByLabel(r.preferredContact, { exact: true }).check();
  }

  async madeBy(channel: string): Promise<void> {
    await this.how.getByLabel(channel, { exact: true }).check();
  }

  async describe(whatHappened: string, outcomeSought?: string): Promise<void> {
    await this.whatHappened.fill(whatHappened);
    if (outcomeSought !== undefined) await this.outcomeSought.fill(outcomeSought);
  }

  /** Send the form; the caller verifies where it lands (the case page, or this page with errors). */
  async submit(): Promise<void> {
    await navigating(this.page, () => this.logButton.click());
  }
}
