/**
 * Keyboard-only driving: Tab (or Shift+Tab) until a given element has focus, checking at every
 * stop that the focused element shows a visible focus indicator.
 */
import type { Page } from 'playwright-core';

export interface FocusStop {
  /** Like `a#id.class "text"`, for messages. */
  what: string;
  visible: boolean;
  /** The focus style that made it visible, or why not. */
  how: string;
}

/**
 * Runs in the browser: the focused element and whether its focus indicator can be seen. A string,
 * not a function, because tsx's esbuild wraps named functions in a `__name` helper that does not
 * exist in the page.
 */
const FOCUSED_SCRIPT = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { what: 'body (nothing focused)', visible: false, how: 'nothing focused' };
  const transparent = (c) => c === 'transparent' || /rgba\\([^)]*,\\s*0\\)$/.test(c);
  const outline = (cs) => cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 && !transparent(cs.outlineColor);
  const shadow = (cs) => !!cs.boxShadow && cs.boxShadow !== 'none';
  const describe = (cs, where) => outline(cs) ? where + 'outline ' + cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor : shadow(cs) ? where + 'box-shadow ' + cs.boxShadow : null;
  // An element that is itself invisible (GOV.UK radios and checkboxes hide the input) shows no outline of its own.
  const own = getComputedStyle(el);
  let how = Number(own.opacity) === 0 || own.visibility === 'hidden' ? null : describe(own, '');
  // GOV.UK radios and checkboxes draw the focus ring on the label's ::before.
  if (!how && /govuk-(radios|checkboxes)__input/.test(el.className) && el.labels && el.labels.length) {
    how = describe(getComputedStyle(el.labels[0], '::before'), 'label::before ') || describe(getComputedStyle(el.labels[0], '::after'), 'label::after ');
  }
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + (text ? ' "' + text + '"' : '');
  return { what, visible: !!how, how: how || 'no visible outline or box-shadow' };
})()`;

/** The focused element and whether its focus indicator can be seen. */
export async function focused(page: Page): Promise<FocusStop> {
  return page.evaluate(FOCUSED_SCRIPT) as Promise<FocusStop>;
}

export class Keyboard {
  /** Every focus stop seen, in order. */
  readonly stops: FocusStop[] = [];

  constructor(private readonly page: Page) {}

  /** Stops where the focus could not be seen. */
  get invisible(): FocusStop[] {
    return this.stops.filter((s) => !s.visible);
  }

  /**
   * Stops shown only by the browser's own focus ring (outline-style: auto): every GOV.UK component
   * has its own focus style, so this means an element of ours without one.
   */
  get browserDefault(): FocusStop[] {
    return this.stops.filter((s) => /^outline auto/.test(s.how));
  }

  async press(key: string): Promise<FocusStop> {
    await this.page.keyboard.press(key);
    const f = await focused(this.page);
    this.stops.push(f);
    return f;
  }

  /** Tab until the focused element matches `selector`; fails after `max` stops. */
  async tabTo(selector: string, o: { max?: number; back?: boolean } = {}): Promise<FocusStop> {
    const max = o.max ?? 60;
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      const f = await this.press(o.back ? 'Shift+Tab' : 'Tab');
      seen.push(f.what);
      if (await this.page.evaluate((sel) => !!(globalThis as any).document.activeElement?.matches(sel), selector)) return f;
    }
    throw new Error(`Tabbing did not reach ${selector} in ${max} stops. Stops: ${seen.join(' → ')}`);
  }

  /** Type into the focused field, key by key. */
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }
}
