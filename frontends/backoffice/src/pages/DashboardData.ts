/**
 * The dashboard's data as the page shows it: its address (filters in the query string), the
 * API's address for the same filters (JSON and CSV), numbers in French, and the series each
 * chart draws (the same numbers as the table under it).
 */
import type { MessagesApi } from '@mes-messages/shared';

type Messages = MessagesApi.components['schemas'];
export type Dashboard = Messages['DashboardPublic'];
export type DashboardFigures = Messages['DashboardFigures'];
export type DashboardWeek = Messages['DashboardWeek'];

/** What the supervisor chose: empty strings are the defaults (the last eight weeks, every
 * theme, their fund or, for an admin, every fund). */
export interface DashboardFilters {
  from: string;
  to: string;
  theme: string;
  fund: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters of the page's address: `?du=2026-10-05&au=2026-11-29&theme=famille&caisse=NPC`. */
export function dashboardFilters(search: URLSearchParams): DashboardFilters {
  const day = (value: string | null) => (value && DAY.test(value) ? value : '');
  return {
    from: day(search.get('du')),
    to: day(search.get('au')),
    theme: search.get('theme') ?? '',
    fund: search.get('caisse') ?? '',
  };
}

/** The page's address for these filters (what `dashboardFilters` reads back). */
export function dashboardSearch(filters: DashboardFilters): string {
  const search = new URLSearchParams();
  if (filters.from) search.set('du', filters.from);
  if (filters.to) search.set('au', filters.to);
  if (filters.theme) search.set('theme', filters.theme);
  if (filters.fund) search.set('caisse', filters.fund);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The API's address for these filters: `format` `json` (the figures) or `csv` (the file). */
export function dashboardApiPath(filters: DashboardFilters, format: 'json' | 'csv' = 'json'): string {
  const search = new URLSearchParams();
  if (filters.from) search.set('from', filters.from);
  if (filters.to) search.set('to', filters.to);
  if (filters.theme) search.set('theme', filters.theme);
  if (filters.fund) search.set('fund', filters.fund);
  const text = search.toString();
  return `/api/messages/agent/dashboard${format === 'csv' ? '.csv' : ''}${text ? `?${text}` : ''}`;
}

const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** A number of working days: « 2,5 j » ; « - » when there is none. */
export function formatDays(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${decimal.format(value)} j`;
}

/** A share between 0 and 1 as a percentage: « 66,7 % » ; « - » when there is none. */
export function formatShare(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${decimal.format(value * 100)} %`;
}

/** « S49 » for « 2026-S49 »: the axis labels. */
export function shortWeek(week: string): string {
  return week.slice(week.indexOf('-') + 1);
}

/** A series a chart draws: its name, and one value per label (null: nothing to draw). */
export interface Series {
  name: string;
  values: (number | null)[];
}

export interface ChartData {
  labels: string[];
  series: Series[];
}

export function receivedAndAnswered(dashboard: Dashboard): ChartData {
  return {
    labels: dashboard.weeks.map((week) => shortWeek(week.week)),
    series: [
      { name: 'Messages reçus', values: dashboard.weeks.map((week) => week.figures.received) },
      { name: 'Réponses', values: dashboard.weeks.map((week) => week.figures.answered) },
    ],
  };
}

export function answerTimes(dashboard: Dashboard): ChartData {
  return {
    labels: dashboard.weeks.map((week) => shortWeek(week.week)),
    series: [
      { name: 'Délai médian', values: dashboard.weeks.map((week) => week.figures.median_working_days) },
      { name: '90e centile', values: dashboard.weeks.map((week) => week.figures.p90_working_days) },
    ],
  };
}

export function backlogByAge(dashboard: Dashboard): ChartData {
  return {
    labels: dashboard.backlog.buckets.map((bucket) => bucket.label),
    series: [{ name: 'Demandes en attente', values: dashboard.backlog.buckets.map((bucket) => bucket.count) }],
  };
}

export function relancesAndSatisfaction(dashboard: Dashboard): ChartData {
  return {
    labels: dashboard.weeks.map((week) => shortWeek(week.week)),
    series: [
      { name: 'Relances', values: dashboard.weeks.map((week) => week.figures.relances) },
      { name: 'Avis de satisfaction', values: dashboard.weeks.map((week) => week.figures.satisfaction_answers) },
    ],
  };
}

/** The projection's delay in words, for the notice above the figures. */
export function lagNotice(lag: Dashboard['lag']): { severity: 'info' | 'warning'; text: string } {
  if (lag.behind_by_events === null) {
    return { severity: 'warning', text: 'Impossible de savoir si les chiffres sont à jour pour le moment.' };
  }
  if (lag.behind_by_events > 0) {
    const events = lag.behind_by_events === 1 ? '1 événement' : `${lag.behind_by_events} événements`;
    return { severity: 'warning', text: `Les chiffres sont en cours de mise à jour : ${events} restent à prendre en compte.` };
  }
  return { severity: 'info', text: 'Les chiffres sont à jour.' };
}
