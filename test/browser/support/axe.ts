/** axe-core over a page, against WCAG 2.2 AA, with violations listed readably. */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface AxeFinding {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/**
 * Known false positive, filtered node by node (the rule itself stays on): GOV.UK Frontend's
 * radios put `aria-expanded` on a radio that conditionally reveals more questions. ARIA 1.2 does
 * not list aria-expanded for role=radio, so axe's aria-allowed-attr flags it; GOV.UK keeps it on
 * purpose because screen readers announce it and users found it helpful (alphagov/govuk-frontend
 * issues #979 and #1972, and PR #2823 where the maintainers declined to remove it). Only a
 * `.govuk-radios__input` with `aria-controls` whose sole disallowed attribute is aria-expanded is
 * ignored; any other attribute on it, or aria-expanded anywhere else, is still reported.
 */
function knownFalsePositive(ruleId: string, node: { html: string; failureSummary?: string }): boolean {
  if (ruleId !== 'aria-allowed-attr') return false;
  if (!/class="[^"]*\bgovuk-radios__input\b/.test(node.html) || !/\baria-controls="/.test(node.html)) return false;
  const attrs = [...(node.failureSummary ?? '').matchAll(/ARIA attributes? (?:is|are) not allowed: (.*)/g)].flatMap((m) => m[1].split(/,\s*/));
  return attrs.length > 0 && attrs.every((a) => /^aria-expanded="(true|false)"$/.test(a.trim()));
}

/**
 * The page's axe violations, each with its rule id and the elements it hit. For speed, without
 * changing what is checked: legacy mode runs axe in the page itself instead of opening a blank
 * page to gather results from frames (our pages have no iframes), and resultTypes asks for the
 * details of violations only, not of every pass. (`options` must come before `withTags`: it
 * replaces the options object, and with it the tags.)
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).withTags(WCAG_TAGS).setLegacyMode(true).analyze();
  return result.violations
    .map((v) => ({ v, nodes: v.nodes.filter((n) => !knownFalsePositive(v.id, n)) }))
    .filter(({ nodes }) => nodes.length > 0)
    .map(({ v, nodes }) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: nodes.map((n) => `${n.target.map(String).join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ').trim()}` : ''}`),
    }));
}

export function describeViolations(where: string, found: AxeFinding[]): string {
  return [
    `${where}: ${found.length} axe violation(s)`,
    ...found.map((v) => `  - ${v.id} (${v.impact}): ${v.help}\n      ${v.targets.slice(0, 8).join('\n      ')}${v.targets.length > 8 ? `\n      …and ${v.targets.length - 8} more` : ''}`),
  ].join('\n');
}
