/**
 * The queue's address: its filters, and the reference searched, in the query string.
 *
 * `/backoffice/?statut=…&attribution=…` is the queue; `/backoffice/?reference=NPC-2026-000123`
 * the search by reference. A search looks through the whole fund by default: every status and
 * every skill. Filters chosen while searching narrow it (`?reference=…&competences=miennes`); a
 * new search starts again from the whole fund. Each filter is written only when it differs
 * from the default of its view, so a shared link shows what its author saw.
 */

import { type SkillFilter, skillFilterFromParam, skillParam, skillQuery } from './routing';

export interface QueueFilters {
  skills: SkillFilter;
  status: string;
  assigned: string;
  overdue: boolean;
  /** Only the « relances » (the member did not understand a reply). */
  relance: boolean;
  theme: string;
  subject: string;
  motif: string;
}

export interface QueueView {
  /** The whole reference searched, or null for the queue itself. */
  reference: string | null;
  filters: QueueFilters;
}

/** The status shown by default: the open threads in the queue, every status in a search. */
export function defaultStatus(searching: boolean): string {
  return searching ? 'all' : 'open';
}

export function defaultFilters(agentSkills: readonly string[], searching: boolean): QueueFilters {
  return {
    skills: skillFilterFromParam(null, agentSkills, searching),
    status: defaultStatus(searching),
    assigned: 'any',
    overdue: false,
    relance: false,
    theme: '',
    subject: '',
    motif: '',
  };
}

export function queueView(params: URLSearchParams, agentSkills: readonly string[]): QueueView {
  const reference = params.get('reference')?.trim() || null;
  const searching = reference !== null;
  return {
    reference,
    filters: {
      skills: skillFilterFromParam(params.get('competences'), agentSkills, searching),
      status: params.get('statut') ?? defaultStatus(searching),
      assigned: params.get('attribution') ?? 'any',
      overdue: params.get('retard') === '1',
      relance: params.get('relance') === '1',
      theme: params.get('theme') ?? '',
      subject: params.get('sujet') ?? '',
      motif: params.get('motif') ?? '',
    },
  };
}

/** The query string of a view (`?…`, or nothing for the default queue). */
export function queueSearch(view: QueueView, agentSkills: readonly string[]): string {
  const { reference, filters } = view;
  const searching = reference !== null;
  const next = new URLSearchParams();
  if (reference) next.set('reference', reference);
  const skills = skillParam(filters.skills, agentSkills, searching);
  if (skills) next.set('competences', skills);
  if (filters.status !== defaultStatus(searching)) next.set('statut', filters.status);
  if (filters.assigned !== 'any') next.set('attribution', filters.assigned);
  if (filters.overdue) next.set('retard', '1');
  if (filters.relance) next.set('relance', '1');
  if (filters.theme) next.set('theme', filters.theme);
  if (filters.subject) next.set('sujet', filters.subject);
  if (filters.motif) next.set('motif', filters.motif);
  const text = next.toString();
  return text ? `?${text}` : '';
}

/** A new search: the whole fund, whatever the filters were. */
export function referenceSearch(reference: string, agentSkills: readonly string[]): string {
  return queueSearch({ reference, filters: defaultFilters(agentSkills, true) }, agentSkills);
}

/** Whether a search is narrowed by filters (then « not found » may only mean « not here »). */
export function narrowsSearch(filters: QueueFilters): boolean {
  const whole = defaultFilters([], true);
  return (Object.keys(whole) as (keyof QueueFilters)[]).some((name) => filters[name] !== whole[name]);
}

/** The parameters of `GET /api/messages/agent/threads` for a view. */
export function apiQuery(view: QueueView, cursor: string | null, limit = 25): Record<string, string | number | null | undefined> {
  const { reference, filters } = view;
  return {
    reference: reference ?? undefined,
    skill: skillQuery(filters.skills),
    status: filters.status,
    assigned: filters.assigned,
    overdue: filters.overdue ? 'true' : undefined,
    relance: filters.relance ? 'true' : undefined,
    theme: filters.theme,
    subject: filters.subject,
    motif: filters.motif,
    cursor,
    limit,
  };
}
