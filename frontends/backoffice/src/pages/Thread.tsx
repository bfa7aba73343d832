import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  Alert,
  ApiError,
  Badge,
  Button,
  CharacterCounter,
  Checkbox,
  ErrorSummary,
  Link,
  Loading,
  PageHeading,
  REPLY_MAX_CHARACTERS,
  Select,
  Textarea,
  api,
  countCharacters,
  describeError,
  formatCalendarDay,
  formatDateTime,
  labelled,
  newUuid,
  useDocumentTitle,
} from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { type Attachment, AgentMessageAttachments, ReplyAttachments, useAgentThreadAttachments } from '../attachments/attachments';
import { IdentityProof } from './IdentityProof';
import { ReplyMarks } from './ReplyMarks';
import { BASE, isSupervisor, useSession } from '../session';
import {
  type Access,
  type Accesses,
  type Agent,
  type AgentThreadDetail,
  type Agents,
  type CannedReplies,
  type CannedReply,
  type CannedReplyRendered,
  type CatalogTree,
  DELIVERY_KINDS,
  DELIVERY_STATUSES,
  type Deliveries,
  type Delivery,
  type RoutingWarning,
} from '../types';
import { isOverdue } from './Queue';
import { type Theme, handles, skillLabel, warningsOf } from '../routing';

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section className="fr-mt-6w" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function DeliveryLog({ threadId }: { threadId: string }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<Deliveries>('/api/notifier/deliveries', { query: { thread_id: threadId } })
      .then((page) => setDeliveries(page.data))
      .catch((error) => setFailure(describeError(error)));
  }, [threadId]);
  if (failure) return <Alert severity="error" small>{failure}</Alert>;
  if (!deliveries) return <Loading />;
  if (!deliveries.length) return <p>Aucun courriel envoyé pour cette demande.</p>;
  return (
    <div className="fr-table fr-table--sm fr-table--multiline" id="journal-envois">
      <div className="fr-table__wrapper">
        {/* Scrolls sideways on narrow screens: reachable with the keyboard too. */}
        <div className="fr-table__container" tabIndex={0} role="region" aria-label="Courriels de la demande">
          <div className="fr-table__content">
            <table>
              <caption>Courriels de la demande</caption>
              <thead>
                <tr>
                  <th scope="col">Courriel</th>
                  <th scope="col">État</th>
                  <th scope="col">Destinataire</th>
                  <th scope="col">Demandé le</th>
                  <th scope="col">Envoyé le</th>
                  <th scope="col">Tentatives</th>
                  <th scope="col">Détail</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((delivery) => (
                  <tr key={delivery.id}>
                    <td>{DELIVERY_KINDS[delivery.kind] ?? delivery.kind}</td>
                    <td>{DELIVERY_STATUSES[delivery.status] ?? delivery.status}</td>
                    <td>{delivery.recipient ?? (delivery.status === 'skipped_opted_out' ? '—' : 'inconnu')}</td>
                    <td>{formatDateTime(delivery.created_at)}</td>
                    <td>{formatDateTime(delivery.sent_at)}</td>
                    <td>{delivery.attempts}</td>
                    <td>{delivery.last_error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </div>
  );
}

function AccessAudit({ threadId }: { threadId: string }) {
  const [accesses, setAccesses] = useState<Access[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<Accesses>(`/api/messages/agent/threads/${threadId}/audit`)
      .then((page) => setAccesses(page.data))
      .catch((error) => setFailure(describeError(error)));
  }, [threadId]);
  if (failure) return <Alert severity="error" small>{failure}</Alert>;
  if (!accesses) return <Loading />;
  return (
    <ul id="journal-acces">
      {accesses.map((access, index) => (
        <li key={`${access.accessed_at}-${index}`}>
          {formatDateTime(access.accessed_at)} : {access.agent.name ?? access.agent.id}
        </li>
      ))}
    </ul>
  );
}

export function ThreadPage({ threadId }: { threadId: string }) {
  const { agent } = useSession();
  const [thread, setThread] = useState<AgentThreadDetail | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<RoutingWarning[]>([]);
  const [themes, setThemes] = useState<Theme[]>([]);
  const [canned, setCanned] = useState<CannedReply[]>([]);
  const [cannedChoice, setCannedChoice] = useState('');
  const [reply, setReply] = useState('');
  // « Demande de précisions »: the reply asks the member for information or a document.
  const [asksForDetails, setAsksForDetails] = useState(false);
  const [replyError, setReplyError] = useState<string | null>(null);
  const replyKey = useRef<{ key: string; text: string } | null>(null);
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);
  const [replyFiles, setReplyFiles] = useState<Attachment[]>([]);
  const attachments = useAgentThreadAttachments(threadId, thread);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [assignee, setAssignee] = useState('');
  const [busy, setBusy] = useState(false);
  const noticeRef = useRef<HTMLDivElement>(null);
  useDocumentTitle(thread ? `Demande ${thread.reference}` : 'Demande', APP_TITLE);

  async function load() {
    try {
      setThread(await api.get<AgentThreadDetail>(`/api/messages/agent/threads/${encodeURIComponent(threadId)}`));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 422)) setNotFound(true);
      else setFailure(describeError(error));
    }
  }

  useEffect(() => {
    void load();
    api
      .get<CatalogTree>('/api/catalog/tree')
      .then((tree) => setThemes(tree.themes))
      .catch(() => setThemes([]));
    api.get<CannedReplies>('/api/messages/agent/canned-replies').then((page) => setCanned(page.data)).catch(() => setCanned([]));
    if (isSupervisor(agent)) {
      api
        .get<Agents>('/api/auth/agents')
        .then((page) => setAgents(page.data.filter((candidate) => candidate.active && candidate.fund === agent?.fund)))
        .catch(() => setAgents([]));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [threadId]);

  useEffect(() => {
    if (notice || failure) noticeRef.current?.focus();
  }, [notice, failure]);

  async function act(what: () => Promise<unknown>, done: string) {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    setNotice(null);
    setWarnings([]);
    try {
      // A claim or an assignment outside skills is done, with warnings to show.
      setWarnings(warningsOf(await what()));
      setNotice(done);
      await load();
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  async function insertCanned() {
    if (!cannedChoice) return;
    try {
      const rendered = await api.get<CannedReplyRendered>(`/api/messages/agent/threads/${threadId}/canned-replies/${cannedChoice}`);
      setReply(rendered.text);
      document.getElementById('reponse')?.focus();
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  async function sendReply(event: FormEvent) {
    event.preventDefault();
    const count = countCharacters(reply);
    if (count === 0) {
      setReplyError('Écrivez votre réponse.');
      return;
    }
    if (count > REPLY_MAX_CHARACTERS) {
      setReplyError(`La réponse dépasse 5 000 caractères : retirez-en ${count - REPLY_MAX_CHARACTERS}.`);
      return;
    }
    setReplyError(null);
    // One key per text: a double click or a retry after a failure replies once.
    const sent = `${asksForDetails ? 'details' : 'reply'}:${reply}:${replyFiles.map((file) => file.id).join(',')}`;
    if (!replyKey.current || replyKey.current.text !== sent) replyKey.current = { key: newUuid(), text: sent };
    const key = replyKey.current.key;
    await act(
      async () => {
        await api.post(`/api/messages/agent/threads/${threadId}/replies`, { text: reply, asks_for_details: asksForDetails, attachment_ids: replyFiles.map((file) => file.id) }, { idempotencyKey: key });
        setReply('');
        setReplyFiles([]);
        setAsksForDetails(false);
        replyKey.current = null;
      },
      asksForDetails
        ? 'Votre demande de précisions est envoyée : l’échéance est suspendue jusqu’à la réponse de l’adhérent.'
        : 'Votre réponse est envoyée : l’adhérent est prévenu par courriel.',
    );
  }

  async function addNote(event: FormEvent) {
    event.preventDefault();
    if (!note.trim()) {
      setNoteError('Écrivez la note.');
      return;
    }
    setNoteError(null);
    await act(async () => {
      await api.post(`/api/messages/agent/threads/${threadId}/notes`, { text: note });
      setNote('');
    }, 'Note ajoutée.');
  }

  if (notFound)
    return (
      <>
        <PageHeading>Demande introuvable</PageHeading>
        <p>Cette demande n’existe pas ou n’appartient pas à votre caisse.</p>
        <Link to={`${BASE}/`}>Retour à la file</Link>
      </>
    );
  if (!thread)
    return failure ? (
      <Alert severity="error" title="La demande n’a pas pu être chargée">
        {failure}
      </Alert>
    ) : (
      <Loading />
    );

  const mine = thread.assignee?.id === agent?.id;
  const open = thread.status !== 'closed';
  const late = isOverdue(thread);
  const entries = [...thread.messages].sort((a, b) => a.created_at.localeCompare(b.created_at));
  return (
    <>
      <p>
        <Link to={`${BASE}/`} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
          Retour à la file
        </Link>
      </p>
      <PageHeading>Demande {thread.reference}</PageHeading>
      <div ref={noticeRef} tabIndex={-1}>
        {notice ? (
          <Alert severity="success" small live="polite" className="fr-mb-3w">
            {notice}
          </Alert>
        ) : null}
        {warnings.map((warning) => (
          <Alert key={warning.code} severity="warning" small className="fr-mb-3w">
            {warning.message}
          </Alert>
        ))}
        {failure ? (
          <Alert severity="error" small live="assertive" className="fr-mb-3w">
            {failure}
          </Alert>
        ) : null}
      </div>
      <ul className="fr-raw-list fr-mb-3w">
        <li>
          <span className="fr-text--bold">{labelled('Adhérent')}</span> {thread.member.given_name} {thread.member.family_name}
          <IdentityProof memberId={thread.member.id} />
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Thème')}</span> {thread.theme.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Sujet')}</span> {thread.subject.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Motif')}</span> {thread.motif.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Compétence')}</span> {skillLabel(thread.skill, themes)}
          {thread.skill && !handles(agent?.skills, thread.skill) ? ' (hors de vos compétences)' : null}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Statut')}</span> {thread.status === 'awaiting_member' ? 'En attente du membre' : thread.status_label}
          {thread.relance ? (
            <>
              {' '}
              <Badge severity="warning" small>
                Relance
              </Badge>
            </>
          ) : null}
          {thread.awaiting_member_since ? ` (depuis le ${formatDateTime(thread.awaiting_member_since)} : échéance suspendue)` : null}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Échéance')}</span> {formatCalendarDay(thread.due_date)}{' '}
          {late ? (
            <Badge severity="error" small>
              En retard
            </Badge>
          ) : null}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Attribuée à')}</span> {thread.assignee?.name ?? 'personne'}
        </li>
      </ul>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        {open && !mine ? (
          <li>
            <Button onClick={() => void act(() => api.post(`/api/messages/agent/threads/${threadId}/claim`), 'Vous avez pris en charge cette demande.')} disabled={busy}>
              Prendre en charge
            </Button>
          </li>
        ) : null}
        {open ? (
          <li>
            <Button priority="secondary" onClick={() => void act(() => api.post(`/api/messages/agent/threads/${threadId}/close`), 'La demande est close.')} disabled={busy}>
              Clore la demande
            </Button>
          </li>
        ) : (
          <li>
            <Button priority="secondary" onClick={() => void act(() => api.post(`/api/messages/agent/threads/${threadId}/reopen`), 'La demande est rouverte.')} disabled={busy}>
              Rouvrir la demande
            </Button>
          </li>
        )}
      </ul>
      {isSupervisor(agent) && open && agents.length ? (
        <form
          className="mm-filters fr-mb-4w"
          onSubmit={(event) => {
            event.preventDefault();
            const chosen = agents.find((candidate) => candidate.id === assignee);
            if (!chosen) return;
            void act(
              () =>
                api.post(`/api/messages/agent/threads/${threadId}/assign`, { agent_id: chosen.id }),
              `Demande attribuée à ${chosen.given_name} ${chosen.family_name}.`,
            );
          }}
        >
          <Select id="attribuer" label="Attribuer à un conseiller" placeholder="Choisir un conseiller" options={agents.map((candidate) => ({
              value: candidate.id,
              label: `${candidate.given_name} ${candidate.family_name}${handles(candidate.skills, thread.skill) ? '' : ' (hors de ses compétences)'}`,
            }))} value={assignee} onChange={(event) => setAssignee(event.target.value)} />
          <div className="mm-filters__actions">
            <Button type="submit" priority="secondary" disabled={!assignee || busy}>
              Attribuer
            </Button>
          </div>
        </form>
      ) : null}

      <Section id="titre-echanges" title="Échanges">
        <ol className="fr-raw-list">
          {entries.map((entry) => (
            <li key={entry.id} className={`mm-entry${entry.kind === 'reply' ? ' mm-entry--reply' : ''}`}>
              <h3 className="fr-h6 fr-mb-1v">
                {entry.kind === 'reply' ? `Réponse de ${entry.author.name ?? 'la caisse'}` : `Message de l’adhérent${entry.follow_up ? ' (complément)' : ''}`}
              </h3>
              <p className="mm-entry__meta">
                {formatDateTime(entry.created_at)}
                {entry.kind === 'reply' ? (entry.read_at ? ` - lue le ${formatDateTime(entry.read_at)}` : ' - pas encore lue') : ''}
              </p>
              <p className="mm-prewrap fr-mb-0">{entry.text}</p>
              <AgentMessageAttachments files={attachments.get(entry.id)} />
              <ReplyMarks entry={entry} />
            </li>
          ))}
        </ol>
      </Section>

      {thread.status !== 'closed' ? (
        <Section id="titre-repondre" title="Répondre">
          <form onSubmit={(event) => void sendReply(event)} noValidate>
            <ErrorSummary errors={replyError ? [{ fieldId: 'reponse', message: replyError }] : []} />
            {canned.length ? (
              <div className="mm-filters fr-mb-3w">
                <Select id="reponse-type" label="Réponse type" placeholder="Choisir une réponse type" options={canned.map((item) => ({ value: item.id, label: item.title }))} value={cannedChoice} onChange={(event) => setCannedChoice(event.target.value)} />
                <div className="mm-filters__actions">
                  <Button priority="secondary" onClick={() => void insertCanned()} disabled={!cannedChoice}>
                    Insérer
                  </Button>
                </div>
              </div>
            ) : null}
            <Textarea
              id="reponse"
              label="Votre réponse"
              hint="Elle sera visible par l’adhérent dans « Mes messages et mes réponses ». 5 000 caractères au plus."
              rows={10}
              value={reply}
              onChange={(event) => setReply(event.target.value)}
              error={replyError}
              aria-describedby="reponse-hint reponse-messages reponse-compteur"
              messages={<CharacterCounter id="reponse-compteur" text={reply} max={REPLY_MAX_CHARACTERS} />}
            />
            <ReplyAttachments files={replyFiles} onChange={setReplyFiles} disabled={busy} />
            <Checkbox
              id="demande-precisions"
              label="Demande de précisions"
              hint="Une information ou un document de l’adhérent est nécessaire : l’échéance est suspendue jusqu’à sa réponse, un rappel part après 10 jours et la demande est close après 30 jours sans réponse."
              checked={asksForDetails}
              onChange={setAsksForDetails}
            />
            <Button type="submit" disabled={busy} className="fr-mt-2w">
              Envoyer la réponse
            </Button>
          </form>
        </Section>
      ) : null}

      <Section id="titre-notes" title="Notes internes">
        <p className="fr-text--sm">Visibles des seuls conseillers de votre caisse ; jamais de l’adhérent.</p>
        {thread.notes.length ? (
          <ol className="fr-raw-list">
            {thread.notes.map((item) => (
              <li key={item.id} className="mm-entry mm-entry--note">
                <p className="mm-entry__meta">
                  {item.author.name ?? 'Conseiller'}, {formatDateTime(item.created_at)}
                </p>
                <p className="mm-prewrap fr-mb-0">{item.text}</p>
              </li>
            ))}
          </ol>
        ) : (
          <p>Aucune note.</p>
        )}
        <form onSubmit={(event) => void addNote(event)} noValidate>
          <Textarea id="note" label="Nouvelle note" rows={3} value={note} onChange={(event) => setNote(event.target.value)} error={noteError} />
          <Button type="submit" priority="secondary" disabled={busy}>
            Ajouter la note
          </Button>
        </form>
      </Section>

      <Section id="titre-envois" title="Courriels envoyés">
        <DeliveryLog threadId={threadId} />
      </Section>

      {isSupervisor(agent) ? (
        <Section id="titre-acces" title="Consultations de la demande">
          <AccessAudit threadId={threadId} />
        </Section>
      ) : null}
    </>
  );
}
