import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  Alert,
  ApiError,
  Breadcrumb,
  Button,
  CharacterCounter,
  ErrorSummary,
  Link,
  Loading,
  MESSAGE_MAX_CHARACTERS,
  PageHeading,
  ServiceUnavailableError,
  Textarea,
  api,
  describeError,
  formatCalendarDay,
  formatDateTime,
  labelled,
  messageLengthError,
  useDocumentTitle,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { MemberAttachmentsField, MessageAttachments, followUpFilesKey, useChosenAttachments, useMemberThreadAttachments } from '../attachments/attachments';
import { clearFollowUp, followUpWithSendKey, loadFollowUp, saveFollowUp, type FollowUpDraft } from '../draft';
import { useSession } from '../session';
import type { ThreadDetail } from '../types';
import { ReceiptLink } from '../receipts';
import { StatusBadge } from './Threads';
import { MEDICAL_NOTICE, PLACEHOLDER } from '../messageForm';
import { NotUnderstood, SatisfactionQuestion } from './ReplyFollowUps';

export function ThreadPage({ threadId }: { threadId: string }) {
  const { member } = useSession();
  const memberId = member!.id;
  const [thread, setThread] = useState<ThreadDetail | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const attachments = useMemberThreadAttachments(threadId, thread);
  // The files chosen for « Compléter ma demande », kept with its draft.
  const [followUpFiles, setFollowUpFiles] = useChosenAttachments(followUpFilesKey(memberId, threadId));
  const [followUp, setFollowUpState] = useState<FollowUpDraft>(() => loadFollowUp(memberId, threadId));
  const [textError, setTextError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sentNotice, setSentNotice] = useState(false);
  const sendingRef = useRef(false);
  const [sending, setSending] = useState(false);
  useDocumentTitle(thread ? `Demande ${thread.reference}` : 'Ma demande', SERVICE_TITLE);

  const setFollowUp = (next: FollowUpDraft) => {
    setFollowUpState(next);
    saveFollowUp(memberId, threadId, next);
  };

  async function load() {
    try {
      // Opening the thread marks its replies as read (the messages service does it).
      setThread(await api.get<ThreadDetail>(`/api/messages/threads/${encodeURIComponent(threadId)}`));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 422)) setNotFound(true);
      else setLoadError(describeError(error));
    }
  }

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [threadId]);

  async function send(event: FormEvent) {
    event.preventDefault();
    if (sendingRef.current) return;
    const lengthError = messageLengthError(followUp.text);
    setTextError(lengthError);
    setFailure(null);
    setSentNotice(false);
    if (lengthError) return;
    sendingRef.current = true;
    setSending(true);
    const keyed = followUpWithSendKey(followUp);
    setFollowUp(keyed);
    try {
      await api.post(
        `/api/messages/threads/${encodeURIComponent(threadId)}/messages`,
        { text: keyed.text, attachment_ids: followUpFiles.map((file) => file.id) },
        { idempotencyKey: keyed.sendKey! },
      );
      clearFollowUp(memberId, threadId);
      setFollowUpFiles([]);
      setFollowUpState({ text: '', sendKey: null, sendFingerprint: null });
      setSentNotice(true);
      await load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const textField = error.fieldErrors.find((fieldError) => fieldError.field.endsWith('text'));
        if (textField) setTextError(textField.message);
        else setFailure(describeError(error));
      } else if (error instanceof ServiceUnavailableError) {
        setFailure('Votre message n’a pas pu être envoyé : le service est momentanément indisponible. Il est conservé : réessayez dans quelques instants.');
      } else setFailure(describeError(error));
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  }

  if (notFound) {
    return (
      <>
        <PageHeading>Demande introuvable</PageHeading>
        <p>Cette demande n’existe pas ou n’est pas rattachée à votre espace.</p>
        <Link to="/messages">Retour à mes messages</Link>
      </>
    );
  }
  if (loadError) {
    return (
      <>
        <PageHeading>Ma demande</PageHeading>
        <Alert severity="error" live="assertive" title="Cette demande n’a pas pu être affichée">
          {loadError}
        </Alert>
      </>
    );
  }
  if (!thread) return <Loading label="Chargement de votre demande…" />;

  const open = thread.status !== 'closed';
  const awaitingMember = thread.status === 'awaiting_member';
  // « Je n'ai pas compris la réponse » is offered while the thread waits for the member.
  const canSayNotUnderstood = thread.status === 'answered' || awaitingMember;
  return (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Mes messages', to: '/messages' }, { label: `Demande ${thread.reference}` }]} />
      <PageHeading>Demande {thread.reference}</PageHeading>
      <StatusBadge thread={thread} />
      <ul className="fr-raw-list fr-mt-2w fr-mb-4w">
        <li>
          <span className="fr-text--bold">{labelled('Thème')}</span> {thread.theme.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Sujet')}</span> {thread.subject.label}
        </li>
        <li>
          <span className="fr-text--bold">{labelled('Motif')}</span> {thread.motif.label}
        </li>
        {open && thread.status !== 'answered' && !awaitingMember ? (
          <li>
            <span className="fr-text--bold">{labelled('Réponse attendue au plus tard le')}</span> {formatCalendarDay(thread.due_date)}
          </li>
        ) : null}
        <li id="derniere-consultation">
          <span className="fr-text--bold">{labelled('Dernière consultation par votre caisse')}</span>{' '}
          {thread.last_consulted_by_fund_at ? formatDateTime(thread.last_consulted_by_fund_at) : 'pas encore consultée'}
        </li>
      </ul>
      {awaitingMember ? (
        <Alert severity="warning" title="En attente de votre réponse" className="fr-mb-4w">
          Votre MSA a besoin d’une information ou d’un document pour traiter votre demande. Répondez-lui avec le formulaire « Compléter ma demande » ci-dessous : le délai de réponse de votre MSA reprend à réception de votre réponse. Sans réponse de votre part sous 30 jours, la demande sera close.
        </Alert>
      ) : null}
      <h2>Échanges</h2>
      <ol className="fr-raw-list" aria-label="Messages et réponses, du plus ancien au plus récent">
        {thread.messages.map((entry) => (
          <li key={entry.id} className={`mm-entry${entry.kind === 'reply' ? ' mm-entry--reply' : ''}`}>
            <h3 className="fr-h6 fr-mb-1v">{entry.kind === 'reply' ? 'Réponse de votre MSA' : 'Votre message'}</h3>
            <p className="mm-entry__meta">{formatDateTime(entry.created_at)}</p>
            {entry.kind === 'reply' && entry.asks_for_details ? (
              <p className="fr-mb-1v">
                <span className="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon">Demande de précisions</span>
              </p>
            ) : null}
            <p className="mm-prewrap fr-mb-0">{entry.text}</p>
            <MessageAttachments files={attachments.get(entry.id)} />
            {entry.kind === 'message' ? <ReceiptLink className="fr-mt-1w" threadId={thread.id} messageId={entry.id} /> : null}
            {entry.kind === 'reply' ? (
              <>
                {entry.not_understood_at ? (
                  <p className="fr-text--sm fr-mt-1w fr-mb-0">
                    Vous avez indiqué ne pas avoir compris cette réponse le {formatDateTime(entry.not_understood_at)} : votre demande est traitée en priorité.
                  </p>
                ) : canSayNotUnderstood ? (
                  <NotUnderstood threadId={thread.id} reply={entry} onSent={load} />
                ) : null}
                <SatisfactionQuestion threadId={thread.id} reply={entry} />
              </>
            ) : null}
          </li>
        ))}
      </ol>
      {sentNotice ? (
        <Alert severity="success" live="polite" small className="fr-mb-3w">
          Votre message a été ajouté à la demande.
        </Alert>
      ) : null}
      {open ? (
        <form onSubmit={send} noValidate className="fr-mt-4w">
          <h2>Compléter ma demande</h2>
          <ErrorSummary errors={textError ? [{ fieldId: 'relance', message: textError }] : []} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Alert severity="info" small className="fr-mb-3w">
            {MEDICAL_NOTICE}
          </Alert>
          <Textarea
            id="relance"
            label="Mon message"
            hint="Entre 10 et 750 caractères."
            placeholder={PLACEHOLDER}
            rows={6}
            value={followUp.text}
            onChange={(event) => setFollowUp({ ...followUp, text: event.target.value })}
            error={textError}
            aria-describedby="relance-hint relance-messages relance-compteur"
            messages={<CharacterCounter id="relance-compteur" text={followUp.text} max={MESSAGE_MAX_CHARACTERS} />}
          />
          <MemberAttachmentsField
            id="relance-pieces-jointes"
            files={followUpFiles}
            onChange={(next) => (setFollowUpFiles(next), setFollowUp({ ...followUp, sendKey: null }))}
            disabled={sending}
          />
          <Button type="submit" disabled={sending}>
            Envoyer
          </Button>
        </form>
      ) : (
        <Alert severity="info" small>
          Cette demande est close. Pour une nouvelle question, <Link to="/messages/nouveau">écrivez un nouveau message</Link>.
        </Alert>
      )}
    </>
  );
}
