/**
 * The residents' pages (no account): the start page, the make-a-complaint questions, check your
 * answers, the confirmation, and following a complaint. Each checks its h1 in `verifyOnPage`.
 */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export class StartPage extends AbstractPage {
  static async visit(page: Page): Promise<StartPage> {
    await page.goto('/complain');
    return StartPage.verifyOnPage(page);
  }
  static async verifyOnPage(page: Page): Promise<StartPage> {
    const p = new StartPage(page);
    await p.checkHeading(/^Complaints to /);
    return p;
  }
  async start(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Start now' }).click());
  }
  async follow(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('link', { name: 'See how your complaint is going' }).click());
  }
}

/** Any one-question page: its heading, fields by label, and Continue. */
export class QuestionPage extends AbstractPage {
  static async verifyOnPage(page: Page, heading: string | RegExp): Promise<QuestionPage> {
    const p = new QuestionPage(page);
    await p.checkHeading(heading);
    return p;
  }
  async choose(label: string): Promise<this> {
    await this.page.getByLabel(label, { exact: true }).check();
    return this;
  }
  async fill(label: string, value: string): Promise<this> {
    await this.page.getByLabel(label, { exact: true }).fill(value);
    return this;
  }
  async continue(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Continue', exact: true }).click());
  }
}

export interface ComplaintAnswers {
  representative?: { name: string; relationship: string; consent: string };
  givenName: string;
  familyName: string;
  addressLine1: string;
  town: string;
  postcode: string;
  email: string;
  phone?: string;
  contactBy: 'Email' | 'Phone call' | 'Text message' | 'Letter by post';
  whatHappened: string;
  when?: { day: string; month: string; year: string };
  putRight: string;
  help: string[];
  language?: string;
}

/** Answer every question from "Who is making the complaint?" to the files page. */
export async function answerQuestions(page: Page, a: ComplaintAnswers): Promise<void> {
  let q = await QuestionPage.verifyOnPage(page, 'Who is making the complaint?');
  if (a.representative) {
    await q.choose('I am complaining for a resident, with their permission');
    await q.continue();
    q = await QuestionPage.verifyOnPage(page, 'About you');
    await q.fill('Your full name', a.representative.name);
    await q.fill('How do you know the resident?', a.representative.relationship);
    await q.fill('How has the resident given you permission to complain for them?', a.representative.consent);
  } else await q.choose('I am the resident');
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, a.representative ? 'What is the resident’s name?' : 'What is your name?');
  await q.fill('First name', a.givenName);
  await q.fill('Last name', a.familyName);
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, /^What is the address of /);
  await page.getByLabel(/Address line 1/).fill(a.addressLine1);
  await q.fill('Town or city (optional)', a.town);
  await q.fill('Postcode', a.postcode);
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, 'How should we contact you?');
  await q.fill('Email address (optional)', a.email);
  if (a.phone) await q.fill('Phone number (optional)', a.phone);
  await q.choose(a.contactBy);
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, 'What happened?');
  await page.getByRole('textbox', { name: 'What happened?' }).fill(a.whatHappened);
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, 'When did it happen?');
  if (a.when) {
    await q.fill('Day', a.when.day);
    await q.fill('Month', a.when.month);
    await q.fill('Year', a.when.year);
  }
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, 'What would put things right?');
  await page.getByRole('textbox', { name: 'What would put things right?' }).fill(a.putRight);
  await q.continue();
  q = await QuestionPage.verifyOnPage(page, 'Do you need any help or changes to how we contact you?');
  if (a.help.length === 0) await q.choose('No, I do not need any help');
  for (const h of a.help) await q.choose(h);
  if (a.language) await q.fill('Which language?', a.language);
  await q.continue();
}

export class FilesPage extends AbstractPage {
  readonly fileInput: Locator;
  static async verifyOnPage(page: Page): Promise<FilesPage> {
    const p = new FilesPage(page);
    await p.checkHeading('Add photos or documents (optional)');
    return p;
  }
  private constructor(page: Page) {
    super(page);
    this.fileInput = page.locator('input[type=file]');
  }
  async add(file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.fileInput.setInputFiles(file);
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Add file' }).click());
  }
  async filesAdded(): Promise<string[]> {
    return (await this.page.locator('.govuk-summary-list__key').allInnerTexts()).map((s) => s.trim());
  }
  async continue(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Continue', exact: true }).click());
  }
}

export class CheckAnswersPage extends AbstractPage {
  static async verifyOnPage(page: Page): Promise<CheckAnswersPage> {
    const p = new CheckAnswersPage(page);
    await p.checkHeading('Check your answers before sending your complaint');
    return p;
  }
  async answer(key: string): Promise<string> {
    const row = this.page.locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: new RegExp(`^\\s*${key}\\s*$`) }) });
    return (await row.locator('dd.govuk-summary-list__value').innerText()).replace(/\s+/g, ' ').trim();
  }
  async send(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Send complaint' }).click());
  }
}

export class ConfirmationPage extends AbstractPage {
  static async verifyOnPage(page: Page): Promise<ConfirmationPage> {
    const p = new ConfirmationPage(page);
    await p.checkHeading('Complaint sent');
    return p;
  }
  async reference(): Promise<string> {
    return /CMP-\d{6}/.exec(await this.page.locator('.govuk-panel').innerText())![0];
  }
  async text(): Promise<string> {
    return (await this.page.locator('main').innerText()).replace(/\s+/g, ' ');
  }
}

export class FollowStartPage extends AbstractPage {
  static async visit(page: Page): Promise<FollowStartPage> {
    await page.goto('/complain/follow');
    return FollowStartPage.verifyOnPage(page);
  }
  static async verifyOnPage(page: Page): Promise<FollowStartPage> {
    const p = new FollowStartPage(page);
    await p.checkHeading('Follow your complaint');
    return p;
  }
  async emailMeALink(reference: string): Promise<void> {
    await this.page.locator('#reference').fill(reference);
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Email me a link' }).click());
  }
  async withDetails(reference: string, surname: string, postcode: string): Promise<void> {
    await this.page.locator('#detailsReference').fill(reference);
    await this.page.getByLabel('Resident’s last name').fill(surname);
    await this.page.getByLabel('Postcode of the home').fill(postcode);
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Continue', exact: true }).click());
  }
}

export class FollowCasePage extends AbstractPage {
  static async verifyOnPage(page: Page): Promise<FollowCasePage> {
    const p = new FollowCasePage(page);
    await p.checkHeading(/^CMP-\d{6}$/);
    return p;
  }
  async status(): Promise<string> {
    return (await this.page.locator('main .govuk-tag').first().innerText()).trim();
  }
  async keyDate(key: string): Promise<string> {
    const row = this.page.locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: new RegExp(`^\\s*${key}\\s*$`) }) });
    return (await row.locator('dd').innerText()).replace(/\s+/g, ' ').trim();
  }
  async addInformation(text: string, file?: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.page.getByLabel('Information to add').fill(text);
    if (file) await this.page.locator('input[type=file]').setInputFiles(file);
    await navigating(this.page, () => this.page.getByRole('button', { name: 'Send to us' }).click());
  }
  async askForStageTwo(): Promise<void> {
    await navigating(this.page, () => this.page.getByRole('link', { name: 'Ask for stage 2' }).click());
  }
}
