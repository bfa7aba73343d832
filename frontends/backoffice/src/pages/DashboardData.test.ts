import { describe, expect, it } from 'vitest';
import { axisMaximum } from './DashboardCharts';
import {
  type Dashboard,
  answerTimes,
  backlogByAge,
  dashboardApiPath,
  dashboardFilters,
  dashboardSearch,
  formatDays,
  formatShare,
  lagNotice,
  receivedAndAnswered,
} from './DashboardData';

const figures = (received: number, answered: number, median: number | null, p90: number | null) => ({
  received,
  answered,
  median_working_days: median,
  p90_working_days: p90,
  answered_on_time_share: answered ? 0.5 : null,
  relances: 1,
  satisfaction_answers: 2,
  satisfaction_yes_share: 0.5,
});

const dashboard: Dashboard = {
  fund: { code: 'NPC', label: 'MSA Nord-Pas de Calais' },
  scope_label: 'MSA Nord-Pas de Calais',
  start: '2025-03-03',
  end: '2025-03-16',
  theme: null,
  themes: [{ code: 'famille', label: 'Famille' }],
  funds: [{ code: 'NPC', label: 'MSA Nord-Pas de Calais' }],
  weeks: [
    { week: '2025-S10', starts_on: '2025-03-03', figures: figures(5, 1, 2, 2), themes: [] },
    { week: '2025-S11', starts_on: '2025-03-10', figures: figures(0, 0, null, null), themes: [] },
  ],
  total: figures(5, 1, 2, 2),
  backlog: {
    as_of: '2025-03-16',
    total: 2,
    buckets: [
      { label: '0 à 2 jours ouvrés', min_days: 0, max_days: 2, count: 0 },
      { label: 'Plus de 10 jours ouvrés', min_days: 11, max_days: null, count: 2 },
    ],
    themes: [],
  },
  lag: { behind_by_events: 0, last_event_at: '2025-03-12T09:00:00Z', rebuilt_at: null },
};

describe('the dashboard’s address', () => {
  it('reads back the filters it writes, and ignores days that are not days', () => {
    const filters = { from: '2025-03-03', to: '2025-03-16', theme: 'famille', fund: 'ADN' };
    expect(dashboardFilters(new URLSearchParams(dashboardSearch(filters)))).toEqual(filters);
    expect(dashboardSearch({ from: '', to: '', theme: '', fund: '' })).toBe('');
    expect(dashboardFilters(new URLSearchParams('?du=demain')).from).toBe('');
  });

  it('asks the API for the same filters, as figures or as a CSV file', () => {
    const filters = { from: '2025-03-03', to: '', theme: 'famille', fund: '' };
    expect(dashboardApiPath(filters)).toBe('/api/messages/agent/dashboard?from=2025-03-03&theme=famille');
    expect(dashboardApiPath(filters, 'csv')).toBe('/api/messages/agent/dashboard.csv?from=2025-03-03&theme=famille');
    expect(dashboardApiPath({ from: '', to: '', theme: '', fund: '' })).toBe('/api/messages/agent/dashboard');
  });
});

describe('the dashboard’s numbers', () => {
  it('writes days and shares in French, and a dash when there is nothing', () => {
    expect(formatDays(2.5)).toBe('2,5 j');
    expect(formatDays(null)).toBe('-');
    expect(formatShare(0.6667).replace(/\s/g, ' ')).toBe('66,7 %');
    expect(formatShare(null)).toBe('-');
  });

  it('draws what the tables show, week by week', () => {
    expect(receivedAndAnswered(dashboard)).toEqual({
      labels: ['S10', 'S11'],
      series: [
        { name: 'Messages reçus', values: [5, 0] },
        { name: 'Réponses', values: [1, 0] },
      ],
    });
    expect(answerTimes(dashboard).series[0]!.values).toEqual([2, null]);
    expect(backlogByAge(dashboard).labels).toEqual(['0 à 2 jours ouvrés', 'Plus de 10 jours ouvrés']);
  });

  it('says when the figures are behind the events', () => {
    expect(lagNotice(dashboard.lag).text).toBe('Les chiffres sont à jour.');
    expect(lagNotice({ ...dashboard.lag, behind_by_events: 12 })).toEqual({
      severity: 'warning',
      text: 'Les chiffres sont en cours de mise à jour : 12 événements restent à prendre en compte.',
    });
    expect(lagNotice({ ...dashboard.lag, behind_by_events: null }).severity).toBe('warning');
  });

  it('gives the charts a round scale', () => {
    expect([0, 1, 3, 7, 12, 48, 100, 101].map(axisMaximum)).toEqual([1, 1, 5, 10, 20, 50, 100, 200]);
  });
});
