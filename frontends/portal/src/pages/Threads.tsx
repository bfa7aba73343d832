import { type FormEvent, useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Breadcrumb,
  Button,
  Input,
  Link,
  Loading,
  PageHeading,
  Select,
  api,
  describeError,
  formatDateTime,
  navigate,
  useDocumentTitle,
  useSearchParams,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { STATUS_LABELS, type ThreadPublic, type ThreadStatus, type ThreadsPublic } from '../types';

const STATUS_SEVERITY: Record<ThreadStatus, 'info' | 'new' | 'success' | undefined> = {
  submitted: 'info',
  in_progress: 'new',
  answered: 'success',
  awaiting_member: 'new',
  closed: undefined,
};

export function StatusBadge({ thread }: { thread: Pick<ThreadPublic, 'status' | 'status_label'> }) {
  const severity = STATUS_SEVERITY[thread.status];
  return (
    <Badge severity={severity} small noIcon>
      {thread.status_label}
    </Badge>
  );
}

export function ThreadsPage() {
  useDocumentTitle('Mes messages', SERVICE_TITLE);
  const params = useSearchParams();
  const query = params.get('recherche') ?? '';
  const status = params.get('statut') ?? '';
  const [search, setSearch] = useState(query);
  const [statusFilter, setStatusFilter] = useState(status);
  const [threads, setThreads] = useState<ThreadPublic[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  async function load(after: string | null) {
    const page = await api.get<ThreadsPublic>('/api/messages/threads', {
      query: { q: query, status, cursor: after, limit: 20 },
    });
    return { data: page.data, next: page.next_cursor };
  }

  useEffect(() => {
    let cancelled = false;
    setThreads(null);
    setFailure(null);
    setSearch(query);
    setStatusFilter(status);
    load(null)
      .then((page) => {
        if (cancelled) return;
        setThreads(page.data);
        setCursor(page.next);
      })
      .catch((error) => !cancelled && setFailure(describeError(error)));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, status]);

  function filter(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (search.trim()) next.set('recherche', search.trim());
    if (statusFilter) next.set('statut', statusFilter);
    const text = next.toString();
    navigate(`/messages${text ? `?${text}` : ''}`);
  }

  async function more() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await load(cursor);
      setThreads((previous) => [...(previous ?? []), ...page.data]);
      setCursor(page.next);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setLoadingMore(false);
    }
  }

  const filtered = Boolean(query || status);
  return (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Contact & échanges' }, { label: 'Mes messages' }]} />
      <PageHeading>Mes messages</PageHeading>
      <p>Retrouvez ici vos échanges avec votre MSA : « Mes messages et mes réponses ».</p>
      <p>
        <Link className="fr-btn fr-icon-edit-line fr-btn--icon-left" to="/messages/nouveau">
          Écrire un nouveau message
        </Link>
      </p>
      <form className="fr-mb-4w" role="search" aria-label="Rechercher dans mes messages" onSubmit={filter}>
        <div className="mm-filters">
          <Input id="recherche" type="search" label="Rechercher" hint="Référence, sujet, motif ou mot du message" value={search} onChange={(event) => setSearch(event.target.value)} />
          <Select
            id="statut"
            label="Statut"
            placeholder="Tous les statuts"
            options={(Object.keys(STATUS_LABELS) as ThreadStatus[]).map((value) => ({ value, label: STATUS_LABELS[value] }))}
            value={statusFilter}
            onChange={(event) => setStatusFilter(event.target.value)}
          />
          <div className="mm-filters__actions">
            <Button type="submit" priority="secondary" icon="fr-icon-search-line">
              Filtrer
            </Button>
          </div>
        </div>
      </form>
      {failure ? (
        <Alert severity="error" live="assertive" title="Vos messages n’ont pas pu être affichés">
          {failure}
        </Alert>
      ) : null}
      {threads === null && !failure ? <Loading label="Chargement de vos messages…" /> : null}
      {threads && threads.length === 0 ? (
        <p role="status">{filtered ? 'Aucun message ne correspond à votre recherche.' : 'Vous n’avez encore écrit aucun message.'}</p>
      ) : null}
      {threads && threads.length > 0 ? (
        <div className="fr-table fr-table--no-caption" id="liste-messages">
          <div className="fr-table__wrapper">
            <div className="fr-table__container">
              <div className="fr-table__content">
                <table>
                  <caption>Mes demandes</caption>
                  <thead>
                    <tr>
                      <th scope="col">Référence</th>
                      <th scope="col">Sujet</th>
                      <th scope="col">Statut</th>
                      <th scope="col">Dernière activité</th>
                    </tr>
                  </thead>
                  <tbody>
                    {threads.map((thread) => (
                      <tr key={thread.id} data-reference={thread.reference}>
                        <td>
                          <Link to={`/messages/${thread.id}`}>{thread.reference}</Link>
                          {thread.unread_replies ? (
                            <Badge severity="new" small>
                              {thread.unread_replies > 1 ? `${thread.unread_replies} nouvelles réponses` : 'Nouvelle réponse'}
                            </Badge>
                          ) : null}
                        </td>
                        <td>
                          {thread.subject.label} - {thread.motif.label}
                        </td>
                        <td>
                          <StatusBadge thread={thread} />
                        </td>
                        <td>{formatDateTime(thread.last_activity_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          </div>
        </div>
      ) : null}
      {cursor ? (
        <Button priority="secondary" onClick={() => void more()} disabled={loadingMore}>
          Afficher plus de messages
        </Button>
      ) : null}
    </>
  );
}
