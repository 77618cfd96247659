/** /sign-in: email and password. */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export class SignInPage extends AbstractPage {
  static readonly url = '/sign-in';
  readonly email: Locator;
  readonly password: Locator;
  readonly signInButton: Locator;

  private constructor(page: Page) {
    super(page);
    this.email = page.getByLabel('Email address');
    this.password = page.getByLabel('Password', { exact: true });
    this.signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
  }

  static async visit(page: Page): Promise<SignInPage> {
    await page.goto(SignInPage.url);
    return SignInPage.verifyOnPage(page);
  }

  static async verifyOnPage(page: Page): Promise<SignInPage> {
    const p = new SignInPage(page);
    await p.checkHeading('Sign in');
    return p;
  }

  /** Fill in the form and send it; the caller verifies where it lands. */
  async signIn(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    await navigating(this.page, () => this.signInButton.click());
  }
}
