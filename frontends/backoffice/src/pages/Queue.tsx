import { type FormEvent, useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Link,
  Loading,
  PageHeading,
  Select,
  api,
  describeError,
  formatCalendarDay,
  formatDateTime,
  navigate,
  todayInParis,
  useDocumentTitle,
  useSearchParams,
} from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { BASE, useSession } from '../session';
import { SKILL_FILTERS, type SkillFilter, skillLabel } from '../routing';
import { apiQuery, narrowsSearch, queueSearch, queueView, referenceSearch } from '../queueAddress';
import { ReferenceSearchBar } from '../ReferenceSearchBar';
import { searchOutcome } from '../referenceSearch';
import type { AgentThread, CatalogTree, QueueCounts, QueuePage as QueuePageData } from '../types';

const QUEUE_STATUSES = [
  { value: 'open', label: 'Ouvertes (envoyé, en cours de traitement)' },
  { value: 'submitted', label: 'envoyé' },
  { value: 'in_progress', label: 'en cours de traitement' },
  { value: 'answered', label: 'répondu' },
  { value: 'awaiting_member', label: 'En attente du membre' },
  { value: 'closed', label: 'clos' },
  { value: 'all', label: 'Toutes' },
];

export function isOverdue(thread: Pick<AgentThread, 'status' | 'due_date'>, today: string = todayInParis()): boolean {
  return (thread.status === 'submitted' || thread.status === 'in_progress') && thread.due_date < today;
}

export function QueuePage() {
  const params = useSearchParams();
  const agent = useSession().agent;
  const agentSkills = agent?.skills ?? [];
  const view = queueView(params, agentSkills);
  const { filters, reference } = view;
  const searching = reference !== null;
  const narrowed = searching && narrowsSearch(filters);
  useDocumentTitle(searching ? `Référence ${reference} - File des demandes` : 'File des demandes', APP_TITLE);
  const [form, setForm] = useState(filters);
  const [tree, setTree] = useState<Pick<CatalogTree, 'themes'> | null>(null);
  const [threads, setThreads] = useState<AgentThread[] | null>(null);
  const [counts, setCounts] = useState<QueueCounts | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const key = params.toString();

  const query = (after: string | null) => apiQuery(view, after);

  useEffect(() => {
    api.get<CatalogTree>('/api/catalog/tree').then(setTree).catch(() => setTree({ themes: [] }));
  }, []);

  useEffect(() => {
    let cancelled = false;
    setForm(filters);
    setThreads(null);
    setFailure(null);
    if (searching) setCounts(null);
    Promise.all([
      api.get<QueuePageData>('/api/messages/agent/threads', { query: query(null) }),
      // The counts describe the queue; a search shows what it found instead.
      searching
        ? Promise.resolve(null)
        : api.get<QueueCounts>('/api/messages/agent/threads/counts', { query: { theme: filters.theme, subject: filters.subject, motif: filters.motif } }),
    ])
      .then(([page, found]) => {
        if (cancelled) return;
        setThreads(page.data);
        setCursor(page.next_cursor);
        setHint(page.hint ?? null);
        setCounts(found);
      })
      .catch((error) => !cancelled && setFailure(describeError(error)));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  function apply(event: FormEvent) {
    event.preventDefault();
    // While searching, the filters narrow the search; otherwise they are the queue's.
    navigate(`${BASE}/${queueSearch({ reference, filters: form }, agentSkills)}`);
  }

  function search(wanted: string) {
    navigate(`${BASE}/${referenceSearch(wanted, agentSkills)}`);
  }

  async function more() {
    if (!cursor) return;
    try {
      const page = await api.get<QueuePageData>('/api/messages/agent/threads', { query: query(cursor) });
      setThreads((previous) => [...(previous ?? []), ...page.data]);
      setCursor(page.next_cursor);
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  const theme = tree?.themes.find((item) => item.code === form.theme);
  const subject = theme?.subjects.find((item) => item.code === form.subject);
  const today = todayInParis();
  return (
    <>
      <PageHeading>File des demandes</PageHeading>
      <ReferenceSearchBar fund={agent?.fund ?? ''} current={reference} onSearch={search} />
      {searching ? (
        <p>
          <Link to={`${BASE}/`} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
            Revenir à la file
          </Link>
        </p>
      ) : null}
      {counts && !searching ? (
        <ul className="mm-counts" aria-label="Nombre de demandes">
          <li><Badge severity="info" noIcon>Mes compétences : {counts.my_skills}</Badge></li>
          <li><Badge severity="info" noIcon>Ouvertes : {counts.open}</Badge></li>
          <li><Badge severity="new" noIcon>Non attribuées : {counts.unassigned}</Badge></li>
          <li><Badge noIcon>Mes demandes : {counts.mine}</Badge></li>
          <li><Badge severity="error" noIcon>En retard : {counts.overdue}</Badge></li>
          <li><Badge severity="warning" noIcon>Relances : {counts.relances}</Badge></li>
          <li><Badge severity="success" noIcon>Répondues : {counts.answered}</Badge></li>
          <li><Badge severity="new" noIcon>En attente du membre : {counts.awaiting_member}</Badge></li>
          <li><Badge noIcon>Closes : {counts.closed}</Badge></li>
          {counts.without_skill > 0 ? (
            <li><Badge severity="warning" noIcon>Sans compétence : {counts.without_skill}</Badge></li>
          ) : null}
        </ul>
      ) : null}
      <form onSubmit={apply} className="fr-mb-4w" aria-label={searching ? 'Filtrer la recherche' : 'Filtrer la file'}>
        <div className="mm-filters">
          <Select
            id="filtre-competences"
            label="Compétences"
            options={SKILL_FILTERS}
            value={form.skills}
            onChange={(event) => setForm({ ...form, skills: event.target.value as SkillFilter })}
          />
          <Select id="filtre-statut" label="Statut" options={QUEUE_STATUSES} value={form.status} onChange={(event) => setForm({ ...form, status: event.target.value })} />
          <Select
            id="filtre-attribution"
            label="Attribution"
            options={[
              { value: 'any', label: 'Toutes' },
              { value: 'me', label: 'Mes demandes' },
              { value: 'unassigned', label: 'Non attribuées' },
            ]}
            value={form.assigned}
            onChange={(event) => setForm({ ...form, assigned: event.target.value })}
          />
        </div>
        <div className="mm-filters fr-mt-2w">
          <Select id="filtre-theme" label="Thème" placeholder="Tous" options={(tree?.themes ?? []).map((item) => ({ value: item.code, label: item.label }))} value={form.theme} onChange={(event) => setForm({ ...form, theme: event.target.value, subject: '', motif: '' })} />
          <Select id="filtre-sujet" label="Sujet" placeholder="Tous" options={(theme?.subjects ?? []).map((item) => ({ value: item.code, label: item.label }))} value={form.subject} onChange={(event) => setForm({ ...form, subject: event.target.value, motif: '' })} disabled={!theme} />
          <Select id="filtre-motif" label="Motif" placeholder="Tous" options={(subject?.motifs ?? []).map((item) => ({ value: item.code, label: item.label }))} value={form.motif} onChange={(event) => setForm({ ...form, motif: event.target.value })} disabled={!subject} />
        </div>
        <div className="fr-mt-2w">
          <Checkbox id="filtre-retard" label="En retard seulement" checked={form.overdue} onChange={(checked) => setForm({ ...form, overdue: checked })} />
          <Checkbox
            id="filtre-relance"
            label="Relances seulement"
            hint="Le membre n’a pas compris une réponse : à traiter en priorité."
            checked={form.relance}
            onChange={(checked) => setForm({ ...form, relance: checked })}
          />
        </div>
        <Button type="submit" priority="secondary" icon="fr-icon-filter-line" className="fr-mt-2w">
          Filtrer
        </Button>
      </form>
      {failure ? (
        <Alert severity="error" live="assertive" title="La file n’a pas pu être chargée">
          {failure}
        </Alert>
      ) : null}
      {threads === null && !failure ? <Loading /> : null}
      {hint ? (
        <Alert severity="info" small className="fr-mb-3w">
          {hint}
        </Alert>
      ) : null}
      <div role="status" id="resultat-recherche">
        {searching && threads ? (
          <p className={threads.length ? 'fr-mb-2w' : undefined}>
            {searchOutcome(threads.length, reference, narrowed)}
            {threads.length === 0 && narrowed ? (
              <>
                {' '}
                <Link to={`${BASE}/${referenceSearch(reference, agentSkills)}`}>Chercher dans toutes les demandes de votre caisse</Link>
              </>
            ) : null}
          </p>
        ) : null}
        {!searching && threads && threads.length === 0 ? <p>Aucune demande ne correspond à ces filtres.</p> : null}
      </div>
      {threads && threads.length > 0 ? (
        <div className="fr-table" id="file">
          <div className="fr-table__wrapper">
            <div className="fr-table__container">
              <div className="fr-table__content">
                <table>
                  <caption>{searching ? `Demande de référence ${reference}` : 'Demandes, par date d’échéance'}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Référence</th>
                      <th scope="col">Adhérent</th>
                      <th scope="col">Motif</th>
                      <th scope="col">Compétence</th>
                      <th scope="col">Statut</th>
                      <th scope="col">Échéance</th>
                      <th scope="col">Attribuée à</th>
                      <th scope="col">Dernière activité</th>
                    </tr>
                  </thead>
                  <tbody>
                    {threads.map((thread) => {
                      const late = isOverdue(thread, today);
                      return (
                        <tr key={thread.id} className={late ? 'mm-row--overdue' : undefined} data-reference={thread.reference}>
                          <td>
                            <Link to={`${BASE}/demandes/${thread.id}`}>{thread.reference}</Link>
                          </td>
                          <td>
                            {thread.member.given_name} {thread.member.family_name}
                          </td>
                          <td>
                            {thread.subject.label} - {thread.motif.label}
                          </td>
                          <td>{skillLabel(thread.skill, tree?.themes ?? [])}</td>
                          <td>
                            {thread.status === 'awaiting_member' ? 'En attente du membre' : thread.status_label}
                            {thread.relance ? (
                              <Badge severity="warning" small>
                                Relance
                              </Badge>
                            ) : null}
                          </td>
                          <td>
                            {formatCalendarDay(thread.due_date)}
                            {late ? (
                              <Badge severity="error" small>
                                En retard
                              </Badge>
                            ) : null}
                          </td>
                          <td>{thread.assignee?.name ?? 'personne'}</td>
                          <td>{formatDateTime(thread.last_activity_at)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </div>
          </div>
        </div>
      ) : null}
      {cursor ? (
        <Button priority="secondary" onClick={() => void more()}>
          Afficher plus de demandes
        </Button>
      ) : null}
    </>
  );
}
