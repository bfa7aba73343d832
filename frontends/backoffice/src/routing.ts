/**
 * Routing by skill in the queue: which threads an agent sees by default, and a skill in French.
 *
 * A thread carries the skill of its motif (a theme code such as `famille` by default); an agent
 * has skills. The queue opens on « Mes compétences » (the API's `skill=mine`: the threads of
 * the agent's skills and those assigned to them) when the agent has skills, on « Toutes »
 * otherwise. The choice is kept in the address (`competences=miennes|toutes`) only when it
 * differs from that default, so a shared link keeps what its author saw. A search by reference
 * looks through every skill by default (« Toutes »): the member on the phone may be calling
 * about any thread of the fund.
 */

import type { CatalogTheme, RoutingWarning } from './types';

export type SkillFilter = 'mine' | 'all';

export const SKILL_FILTERS: { value: SkillFilter; label: string }[] = [
  { value: 'mine', label: 'Mes compétences' },
  { value: 'all', label: 'Toutes' },
];

const PARAM_VALUES: Record<SkillFilter, string> = { mine: 'miennes', all: 'toutes' };

export function defaultSkillFilter(agentSkills: readonly string[], searching = false): SkillFilter {
  return agentSkills.length > 0 && !searching ? 'mine' : 'all';
}

/** The filter the address asks for (`competences`), else the default (the agent's, or a search's). */
export function skillFilterFromParam(param: string | null, agentSkills: readonly string[], searching = false): SkillFilter {
  if (param === PARAM_VALUES.mine) return 'mine';
  if (param === PARAM_VALUES.all) return 'all';
  return defaultSkillFilter(agentSkills, searching);
}

/** What to write in the address for this filter: nothing when it is the default. */
export function skillParam(filter: SkillFilter, agentSkills: readonly string[], searching = false): string | null {
  return filter === defaultSkillFilter(agentSkills, searching) ? null : PARAM_VALUES[filter];
}

/** The `skill` query parameter of the messages API. */
export function skillQuery(filter: SkillFilter): string | undefined {
  return filter === 'mine' ? 'mine' : undefined;
}

/** What a skill's label is read from: a theme of the catalog (`GET /api/catalog/tree`). */
export type Theme = Pick<CatalogTheme, 'code' | 'label'>;

/** A skill in French: the label of the theme of the same code, else the code itself. */
export function skillLabel(skill: string | null | undefined, themes: readonly Theme[]): string {
  if (!skill) return 'Non renseignée';
  return themes.find((theme) => theme.code === skill)?.label ?? skill;
}

/** The `warnings` of a claim or an assignment (none when the answer has no such field). */
export function warningsOf(answer: unknown): RoutingWarning[] {
  if (typeof answer !== 'object' || answer === null) return [];
  const warnings = (answer as { warnings?: unknown }).warnings;
  if (!Array.isArray(warnings)) return [];
  return warnings.filter(
    (warning): warning is RoutingWarning =>
      typeof warning === 'object' && warning !== null && typeof warning.message === 'string' && typeof warning.code === 'string',
  );
}

/** Whether an agent's skills include a thread's (a thread without a skill fits anyone). */
export function handles(agentSkills: readonly string[] | undefined, skill: string | null | undefined): boolean {
  return !skill || (agentSkills ?? []).includes(skill);
}
