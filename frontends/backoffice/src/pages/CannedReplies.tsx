import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Alert, Button, ErrorSummary, Input, Loading, PageHeading, Textarea, api, describeError, formatDateTime, useDocumentTitle } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { isSupervisor, useSession } from '../session';
import type { CannedReplies, CannedReply } from '../types';

export function CannedRepliesPage() {
  useDocumentTitle('Réponses types', APP_TITLE);
  const { agent } = useSession();
  const manager = isSupervisor(agent);
  const [replies, setReplies] = useState<CannedReply[] | null>(null);
  const [editing, setEditing] = useState<CannedReply | 'new' | null>(null);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const formHeading = useRef<HTMLHeadingElement>(null);

  async function load() {
    try {
      setReplies((await api.get<CannedReplies>('/api/messages/agent/canned-replies')).data);
    } catch (error) {
      setFailure(describeError(error));
    }
  }
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (editing) formHeading.current?.focus();
  }, [editing]);

  function edit(reply: CannedReply | 'new') {
    setEditing(reply);
    setTitle(reply === 'new' ? '' : reply.title);
    setBody(reply === 'new' ? '' : reply.body);
    setErrors([]);
    setNotice(null);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const local = [];
    if (!title.trim()) local.push({ fieldId: 'titre-reponse', message: 'Donnez un titre à la réponse type.' });
    if (!body.trim()) local.push({ fieldId: 'texte-reponse', message: 'Écrivez le texte de la réponse type.' });
    setErrors(local);
    if (local.length) return;
    try {
      if (editing === 'new') await api.post('/api/messages/agent/canned-replies', { title: title.trim(), body });
      else if (editing) await api.put(`/api/messages/agent/canned-replies/${editing.id}`, { title: title.trim(), body });
      setEditing(null);
      setNotice('Réponse type enregistrée.');
      await load();
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  async function remove(reply: CannedReply) {
    try {
      await api.delete(`/api/messages/agent/canned-replies/${reply.id}`);
      setNotice(`Réponse type « ${reply.title} » supprimée.`);
      await load();
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  return (
    <>
      <PageHeading>Réponses types</PageHeading>
      <p>
        Textes prêts à l’emploi pour répondre aux adhérents de votre caisse. Remplacements possibles : {'{prenom}'}, {'{nom}'},{' '}
        {'{reference}'}, {'{caisse}'}, {'{conseiller}'}.
      </p>
      {notice ? <Alert severity="success" small live="polite" className="fr-mb-3w">{notice}</Alert> : null}
      {failure ? <Alert severity="error" small live="assertive" className="fr-mb-3w">{failure}</Alert> : null}
      {manager && !editing ? (
        <Button icon="fr-icon-add-line" onClick={() => edit('new')} className="fr-mb-3w">
          Nouvelle réponse type
        </Button>
      ) : null}
      {editing ? (
        <form onSubmit={(event) => void save(event)} noValidate className="fr-mb-6w">
          <h2 tabIndex={-1} ref={formHeading}>
            {editing === 'new' ? 'Nouvelle réponse type' : `Modifier « ${editing.title} »`}
          </h2>
          <ErrorSummary errors={errors} />
          <Input id="titre-reponse" label="Titre" value={title} onChange={(event) => setTitle(event.target.value)} error={errors.find((error) => error.fieldId === 'titre-reponse')?.message} />
          <Textarea id="texte-reponse" label="Texte" rows={8} value={body} onChange={(event) => setBody(event.target.value)} error={errors.find((error) => error.fieldId === 'texte-reponse')?.message} />
          <ul className="fr-btns-group fr-btns-group--inline-md">
            <li>
              <Button priority="secondary" onClick={() => setEditing(null)}>
                Annuler
              </Button>
            </li>
            <li>
              <Button type="submit">Enregistrer</Button>
            </li>
          </ul>
        </form>
      ) : null}
      {replies === null && !failure ? <Loading /> : null}
      {replies && replies.length === 0 ? <p>Aucune réponse type pour le moment.</p> : null}
      {replies?.map((reply) => (
        <section key={reply.id} className="mm-entry" aria-labelledby={`reponse-${reply.id}`}>
          <h2 className="fr-h6 fr-mb-1v" id={`reponse-${reply.id}`}>
            {reply.title}
          </h2>
          <p className="mm-entry__meta">
            Modifiée le {formatDateTime(reply.updated_at)}
            {reply.updated_by ? ` par ${reply.updated_by}` : ''}
          </p>
          <p className="mm-prewrap">{reply.body}</p>
          {manager ? (
            <ul className="fr-btns-group fr-btns-group--inline fr-btns-group--sm">
              <li>
                <Button priority="secondary" size="sm" onClick={() => edit(reply)}>
                  Modifier<span className="fr-sr-only"> « {reply.title} »</span>
                </Button>
              </li>
              <li>
                <Button priority="tertiary" size="sm" onClick={() => void remove(reply)}>
                  Supprimer<span className="fr-sr-only"> « {reply.title} »</span>
                </Button>
              </li>
            </ul>
          ) : null}
        </section>
      ))}
    </>
  );
}
