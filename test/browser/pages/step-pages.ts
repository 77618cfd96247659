/**
 * /complaints/:id/<step>: one lifecycle form each. StepPage knows what they share (the heading is
 * the step's name, one submit button); the subclasses know their own fields.
 */
import type { Locator, Page } from 'playwright-core';
import { AbstractPage, navigating } from './abstract-page.js';

export class StepPage extends AbstractPage {
  readonly form: Locator;
  readonly submitButton: Locator;
  readonly caption: Locator;

  protected constructor(
    page: Page,
    readonly title: string,
  ) {
    super(page);
    this.form = page.locator('form#form');
    this.submitButton = this.form.getByRole('button');
    this.caption = page.locator('main .govuk-caption-l');
  }

  /** Any step page, by its heading (the step's name, as in the case page's Actions). */
  static async verifyStep(page: Page, title: string): Promise<StepPage> {
    const p = new StepPage(page, title);
    await p.checkHeading(title);
    return p;
  }

  static async visit(page: Page, complaintId: string, step: string, title: string): Promise<StepPage> {
    await page.goto(`/complaints/${complaintId}/${step}`);
    return StepPage.verifyStep(page, title);
  }

  /** Send the form; the caller verifies where it lands (the case page, or this page with errors). */
  async submit(): Promise<void> {
    await navigating(this.page, () => this.submitButton.click());
  }

  /** Fill a GOV.UK date input inside the group with this legend. */
  async fillDate(legend: string, day: number, month: number, year: number, within: Locator | Page = this.page): Promise<void> {
    const group = within.getByRole('group', { name: legend, exact: true });
    await group.getByLabel('Day').fill(String(day));
    await group.getByLabel('Month').fill(String(month));
    await group.getByLabel('Year').fill(String(year));
  }
}

export class AssignPage extends StepPage {
  readonly handler: Locator;
  readonly conflict: Locator;
  readonly declaration: Locator;

  private constructor(page: Page) {
    super(page, 'Assign a handler');
    this.handler = page.getByLabel(/Handler for stage [12]/);
    this.conflict = page.getByRole('group', { name: 'Does the handler have a conflict of interest with this complaint?' });
    this.declaration = page.getByLabel('Declaration (optional)');
  }

  static async verifyOnPage(page: Page): Promise<AssignPage> {
    const p = new AssignPage(page);
    await p.checkHeading(p.title);
    return p;
  }

  async assign(handlerName: string, o: { conflict: boolean; declaration?: string }): Promise<void> {
    await this.handler.selectOption({ label: handlerName });
    await this.conflict.getByLabel(o.conflict ? 'Yes' : 'No', { exact: true }).check();
    if (o.declaration !== undefined) await this.declaration.fill(o.declaration);
    await this.submit();
  }
}

export interface PointInput {
  summary: string;
  ours: boolean;
  whoIsResponsible?: string;
}

export class AcknowledgePage extends StepPage {
  readonly understanding: Locator;
  readonly outcomesSought: Locator;

  private constructor(page: Page) {
    super(page, 'Acknowledge and define the complaint');
    this.understanding = page.getByLabel('Our understanding of the complaint');
    this.outcomesSought = page.getByLabel('Outcomes the resident is seeking');
  }

  static async verifyOnPage(page: Page): Promise<AcknowledgePage> {
    const p = new AcknowledgePage(page);
    await p.checkHeading(p.title);
    return p;
  }

  point(n: number): Locator {
    return this.page.getByRole('group', { name: `Point ${n}`, exact: true });
  }

  async define(o: { understanding: string; outcomesSought: string; points: PointInput[] }): Promise<void> {
    await this.understanding.fill(o.understanding);
    await this.outcomesSought.fill(o.outcomesSought);
    for (const [i, p] of o.points.entries()) {
      const group = this.point(i + 1);
      await group.getByLabel('Summary', { exact: true }).fill(p.summary);
      await group.getByRole('group', { name: 'Is this the landlord’s responsibility?' }).getByLabel(p.ours ? 'Yes' : 'No', { exact: true }).check();
      if (p.whoIsResponsible !== undefined) await group.getByLabel('If not, who is responsible').fill(p.whoIsResponsible);
    }
  }
}

export type Decision = 'Upheld' | 'Partly upheld' | 'Not upheld' | 'Not the landlord’s responsibility';

export class RespondPage extends StepPage {
  readonly overall: Locator;
  readonly nextSteps: Locator;

  private constructor(page: Page) {
    super(page, 'Respond');
    this.overall = page.getByRole('group', { name: 'Overall decision' });
    this.nextSteps = page.getByLabel(/How to (escalate to stage 2|take the complaint to the Ombudsman)/);
  }

  static async verifyOnPage(page: Page): Promise<RespondPage> {
    const p = new RespondPage(page);
    await p.checkHeading(p.title);
    return p;
  }

  /** The point's fieldset, whose legend is "P1: summary". */
  point(pointId: string): Locator {
    return this.page.getByRole('group', { name: new RegExp(`^${pointId}: `) });
  }

  async decide(pointId: string, decision: Decision, reasons: string): Promise<void> {
    const group = this.point(pointId);
    await group.getByRole('group', { name: 'Decision' }).getByLabel(decision, { exact: true }).check();
    await group.getByLabel('Reasons').fill(reasons);
  }

  async overallDecision(decision: Exclude<Decision, 'Not the landlord’s responsibility'>): Promise<void> {
    await this.overall.getByLabel(decision, { exact: true }).check();
  }

  async remedy(n: number, o: { type: string; description: string; amount?: string }): Promise<void> {
    const group = this.page.getByRole('group', { name: `Remedy ${n}`, exact: true });
    await group.getByLabel('Type').selectOption({ label: o.type });
    await group.getByLabel('What will happen, and by when').fill(o.description);
    if (o.amount !== undefined) await group.getByLabel('Amount, if financial').fill(o.amount);
  }

  async action(n: number, o: { description: string; owner?: string; dueBy?: [number, number, number] }): Promise<void> {
    const group = this.page.getByRole('group', { name: `Action ${n}`, exact: true });
    await group.getByLabel('What needs doing').fill(o.description);
    if (o.owner !== undefined) await group.getByLabel('Who owns it').fill(o.owner);
    if (o.dueBy) await this.fillDate('Due by', ...o.dueBy, group);
  }
}

export class EscalatePage extends StepPage {
  readonly reason: Locator;
  readonly via: Locator;

  private constructor(page: Page) {
    super(page, 'Escalate to stage 2');
    this.reason = page.getByLabel('Why the resident is still unhappy (optional)');
    this.via = page.getByLabel('How they asked (optional)');
  }

  static async verifyOnPage(page: Page): Promise<EscalatePage> {
    const p = new EscalatePage(page);
    await p.checkHeading(p.title);
    return p;
  }
}

export class ClosePage extends StepPage {
  readonly note: Locator;

  private constructor(page: Page) {
    super(page, 'Close');
    this.note = page.getByLabel('Closing note (optional)');
  }

  static async verifyOnPage(page: Page): Promise<ClosePage> {
    const p = new ClosePage(page);
    await p.checkHeading(p.title);
    return p;
  }
}
