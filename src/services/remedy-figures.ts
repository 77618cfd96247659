/**
 * Every figure the reporting issue needs on putting things right, for a period, in one call:
 *
 *   puttingThingsRightFigures(services: { remedies: RemedyService; learning: LearningService; ombudsman: OmbudsmanService },
 *                             from: LocalDate, to: LocalDate): Promise<PuttingThingsRightFigures>
 *
 * `from` and `to` are London dates 'YYYY-MM-DD', both included. The result has
 * - `remedies`, `compensation`, `actions`: from RemedyService.figures (remedies by type recorded,
 *   completed, on time, open and overdue at the end; compensation offered, accepted, declined,
 *   lapsed and paid in pence, by head of award and guidance band; actions recorded, done, on time,
 *   overdue at the end);
 * - `learning`: items recorded, prompted by upheld responses, improvements made and published, and
 *   the themes by root cause, service area and category per quarter;
 * - `ombudsman`: cases opened, determinations, findings by kind and by issue (record keeping
 *   included), severe maladministration, orders made, complied with (on time), evidence sent,
 *   overdue at the end, and information requests replied to late.
 * `reportFigures(actor, ...)` is the same behind the 'reports:read' permission (GET
 * /api/v1/remedies/figures?from=&to= serves it).
 */
import type { LocalDate } from '../core/dates.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import type { LearningService } from './learning.js';
import type { OmbudsmanService } from './ombudsman.js';
import type { FiguresOptions, RemedyService } from './remedies.js';

export interface FigureSources {
  remedies: RemedyService;
  learning: LearningService;
  ombudsman: OmbudsmanService;
}

export type PuttingThingsRightFigures = Awaited<ReturnType<RemedyService['figures']>> & {
  learning: Awaited<ReturnType<LearningService['figures']>>;
  ombudsman: Awaited<ReturnType<OmbudsmanService['figures']>>;
};

export async function puttingThingsRightFigures(s: FigureSources, from: LocalDate, to: LocalDate, opts: FiguresOptions = {}): Promise<PuttingThingsRightFigures> {
  const base = await s.remedies.figures(from, to, opts);
  const learning = await s.learning.figures(from, to);
  const ombudsman = await s.ombudsman.figures(from, to);
  return { ...base, learning, ombudsman };
}

export async function reportFigures(actor: Actor, s: FigureSources, from: LocalDate, to: LocalDate): Promise<PuttingThingsRightFigures> {
  requirePermission(actor, 'reports:read');
  return puttingThingsRightFigures(s, from, to);
}
