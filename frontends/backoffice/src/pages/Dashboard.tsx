import { type FormEvent, useEffect, useState } from 'react';
import { Alert, Button, Input, Loading, PageHeading, Select, api, describeError, formatDateTime, navigate, useDocumentTitle, useLocation } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { BASE, useSession } from '../session';
import { ChartWithTable } from './DashboardCharts';
import {
  type Dashboard,
  type DashboardFilters,
  answerTimes,
  backlogByAge,
  dashboardApiPath,
  dashboardFilters,
  dashboardSearch,
  formatDays,
  formatShare,
  lagNotice,
  receivedAndAnswered,
  relancesAndSatisfaction,
} from './DashboardData';

/** « Tableau de bord »: supervisors (their fund) and admins (every fund, or the national total). */
export function DashboardPage() {
  useDocumentTitle('Tableau de bord', APP_TITLE);
  const { agent } = useSession();
  const { search } = useLocation();
  const filters = dashboardFilters(new URLSearchParams(search));
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [draft, setDraft] = useState<DashboardFilters>(filters);
  // « Afficher » asks again even when the filters did not change: the figures move.
  const [round, setRound] = useState(0);
  const admin = agent?.role === 'admin';

  useEffect(() => {
    let current = true;
    setFailure(null);
    api
      .get<Dashboard>(dashboardApiPath(filters))
      .then((answer) => {
        if (!current) return;
        setDashboard(answer);
        setDraft({ ...filters, from: filters.from || answer.start, to: filters.to || answer.end });
      })
      .catch((error: unknown) => {
        if (current) setFailure(describeError(error));
      });
    return () => {
      current = false;
    };
    // The address is the one source of the filters.
  }, [search, round]);

  function apply(event: FormEvent) {
    event.preventDefault();
    navigate(`${BASE}/tableau-de-bord${dashboardSearch(draft)}`);
    setRound((previous) => previous + 1);
  }

  const applied = dashboard ? { ...filters, from: filters.from || dashboard.start, to: filters.to || dashboard.end } : filters;
  const notice = dashboard ? lagNotice(dashboard.lag) : null;
  return (
    <>
      <PageHeading>Tableau de bord</PageHeading>
      <p className="fr-text--lead">
        {dashboard ? `${dashboard.scope_label} - ${dashboard.theme ? dashboard.theme.label : 'toutes les prestations'}` : 'Activité de la messagerie, semaine par semaine.'}
      </p>
      <form onSubmit={apply} className="fr-mb-4w" aria-label="Filtres du tableau de bord">
        <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div className="fr-col-12 fr-col-md-3">
            <Input id="tableau-du" label="Du" hint="Semaine de ce jour incluse" type="date" value={draft.from} onChange={(event) => setDraft({ ...draft, from: event.target.value })} />
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Input id="tableau-au" label="Au" hint="Semaine de ce jour incluse" type="date" value={draft.to} onChange={(event) => setDraft({ ...draft, to: event.target.value })} />
          </div>
          <div className="fr-col-12 fr-col-md-3">
            <Select
              id="tableau-theme"
              label="Prestation"
              value={draft.theme}
              onChange={(event) => setDraft({ ...draft, theme: event.target.value })}
              placeholder="Toutes les prestations"
              options={(dashboard?.themes ?? []).map((theme) => ({ value: theme.code, label: theme.label }))}
            />
          </div>
          {admin ? (
            <div className="fr-col-12 fr-col-md-3">
              <Select
                id="tableau-caisse"
                label="Caisse"
                value={draft.fund}
                onChange={(event) => setDraft({ ...draft, fund: event.target.value })}
                placeholder="Toutes les caisses (national)"
                options={(dashboard?.funds ?? []).map((fund) => ({ value: fund.code, label: fund.label }))}
              />
            </div>
          ) : null}
        </div>
        <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
          <li>
            <Button type="submit">Afficher</Button>
          </li>
          <li>
            <a className="fr-btn fr-btn--secondary" href={dashboardApiPath(applied, 'csv')} download>
              Télécharger (CSV)
            </a>
          </li>
        </ul>
      </form>
      {failure ? (
        <Alert severity="error" small live="assertive" className="fr-mb-3w">
          {failure}
        </Alert>
      ) : null}
      {!dashboard && !failure ? <Loading label="Chargement du tableau de bord…" /> : null}
      {dashboard && notice ? (
        <Alert severity={notice.severity} small live="polite" className="fr-mb-3w">
          {notice.text}
          {dashboard.lag.last_event_at ? ` Dernier événement pris en compte : ${formatDateTime(dashboard.lag.last_event_at)}.` : ''}
        </Alert>
      ) : null}
      {dashboard ? <Figures dashboard={dashboard} /> : null}
    </>
  );
}

function Figures({ dashboard }: { dashboard: Dashboard }) {
  const total = dashboard.total;
  const weeks = dashboard.weeks;
  return (
    <>
      <section className="fr-mb-4w" aria-labelledby="tableau-periode">
        <h2 id="tableau-periode" className="fr-h4">
          Sur la période
        </h2>
        <dl className="fr-grid-row fr-grid-row--gutters">
          {[
            ['Messages reçus', String(total.received)],
            ['Réponses', String(total.answered)],
            ['Délai médian de première réponse', formatDays(total.median_working_days)],
            ['Réponses dans les délais', formatShare(total.answered_on_time_share)],
            ['Relances', String(total.relances)],
            ['Avis « Oui »', `${formatShare(total.satisfaction_yes_share)} (${total.satisfaction_answers} avis)`],
            ['En attente', String(dashboard.backlog.total)],
          ].map(([label, value]) => (
            <div key={label} className="fr-col-6 fr-col-md-3">
              <dt className="fr-text--sm fr-mb-0">{label}</dt>
              <dd className="fr-h5 fr-mb-0">{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <ChartWithTable
        id="graphique-volumes"
        title="Messages reçus et réponses par semaine"
        data={receivedAndAnswered(dashboard)}
        headers={['Semaine', 'Messages reçus', 'Réponses']}
        rows={weeks.map((week) => [week.week, week.figures.received, week.figures.answered])}
      />
      <ChartWithTable
        id="graphique-delais"
        title="Délai de première réponse (jours ouvrés)"
        data={answerTimes(dashboard)}
        headers={['Semaine', 'Délai médian', '90e centile', 'Réponses dans les délais']}
        rows={weeks.map((week) => [
          week.week,
          formatDays(week.figures.median_working_days),
          formatDays(week.figures.p90_working_days),
          formatShare(week.figures.answered_on_time_share),
        ])}
      />
      <ChartWithTable
        id="graphique-stock"
        title={`Demandes en attente d’une première réponse au ${formatDay(dashboard.backlog.as_of)}, par ancienneté`}
        data={backlogByAge(dashboard)}
        headers={['Prestation', ...dashboard.backlog.buckets.map((bucket) => bucket.label), 'Total']}
        rows={[
          ...dashboard.backlog.themes.map((theme) => [theme.theme.label, ...theme.buckets.map((bucket) => bucket.count), theme.total]),
          ['Toutes les prestations', ...dashboard.backlog.buckets.map((bucket) => bucket.count), dashboard.backlog.total],
        ]}
      />
      <ChartWithTable
        id="graphique-relances"
        title="Relances et avis de satisfaction par semaine"
        data={relancesAndSatisfaction(dashboard)}
        headers={['Semaine', 'Relances', 'Avis de satisfaction', 'Avis « Oui »']}
        rows={weeks.map((week) => [week.week, week.figures.relances, week.figures.satisfaction_answers, formatShare(week.figures.satisfaction_yes_share)])}
      />
    </>
  );
}

function formatDay(day: string): string {
  const [year, month, date] = day.split('-');
  return `${date}/${month}/${year}`;
}
