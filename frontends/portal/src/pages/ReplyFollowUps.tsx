/**
 * Under each reply of the fund: « Je n'ai pas compris la réponse » (a short, optional
 * explanation sent as a « relance ») and « Cette réponse vous a-t-elle aidé ? » (Oui / Non
 * and an optional comment, changeable for 7 days, never required).
 */
import { type FormEvent, useState } from 'react';
import {
  Alert,
  Button,
  ButtonsGroup,
  CharacterCounter,
  MESSAGE_MAX_CHARACTERS,
  RadioGroup,
  Textarea,
  api,
  countCharacters,
  describeError,
  formatDateTime,
  messageLengthError,
} from '@mes-messages/shared';
import type { ThreadMessage } from '../types';
import { MEDICAL_NOTICE } from '../messageForm';

export const COMMENT_MAX_CHARACTERS = 300;

/** The optional explanation: empty is fine, otherwise the rules of a message (10 to 750). */
export function explanationError(text: string): string | null {
  return countCharacters(text.trim()) === 0 ? null : messageLengthError(text);
}

export function commentError(text: string): string | null {
  const over = countCharacters(text.trim()) - COMMENT_MAX_CHARACTERS;
  return over > 0 ? `Votre commentaire dépasse ${COMMENT_MAX_CHARACTERS} caractères : retirez-en ${over}.` : null;
}

function replyPath(threadId: string, replyId: string, action: string): string {
  return `/api/messages/threads/${encodeURIComponent(threadId)}/replies/${encodeURIComponent(replyId)}/${action}`;
}

export function NotUnderstood({ threadId, reply, onSent }: { threadId: string; reply: ThreadMessage; onSent: () => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const id = `incompris-${reply.id}`;

  async function send(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const error = explanationError(text);
    setTextError(error);
    setFailure(null);
    if (error) return;
    setSending(true);
    try {
      await api.post(replyPath(threadId, reply.id, 'not-understood'), text.trim() ? { text } : {});
      setOpen(false);
      setText('');
      await onSent();
    } catch (caught) {
      setFailure(describeError(caught));
    } finally {
      setSending(false);
    }
  }

  if (!open) {
    return (
      <Button priority="secondary" size="sm" className="fr-mt-2w" onClick={() => setOpen(true)}>
        Je n’ai pas compris la réponse
      </Button>
    );
  }
  return (
    <form onSubmit={send} noValidate className="fr-mt-2w" aria-labelledby={`${id}-titre`}>
      <h4 className="fr-h6" id={`${id}-titre`}>
        Je n’ai pas compris la réponse
      </h4>
      <p>Votre demande sera traitée en priorité par votre MSA. Vous pouvez préciser ce que vous n’avez pas compris.</p>
      {failure ? (
        <Alert severity="error" live="assertive" small className="fr-mb-2w">
          {failure}
        </Alert>
      ) : null}
      <Alert severity="info" small className="fr-mb-2w">
        {MEDICAL_NOTICE}
      </Alert>
      <Textarea
        id={id}
        label="Ce que je n’ai pas compris (facultatif)"
        hint="Facultatif : entre 10 et 750 caractères."
        rows={4}
        value={text}
        onChange={(event) => setText(event.target.value)}
        error={textError}
        aria-describedby={`${id}-hint ${id}-messages ${id}-compteur`}
        messages={<CharacterCounter id={`${id}-compteur`} text={text} max={MESSAGE_MAX_CHARACTERS} />}
      />
      <ButtonsGroup>
        <Button type="submit" disabled={sending}>
          Envoyer ma demande d’explications
        </Button>
        <Button priority="secondary" onClick={() => setOpen(false)}>
          Annuler
        </Button>
      </ButtonsGroup>
    </form>
  );
}

export function SatisfactionQuestion({ threadId, reply, now = new Date() }: { threadId: string; reply: ThreadMessage; now?: Date }) {
  const given = reply.satisfaction ?? null;
  const [answer, setAnswer] = useState<string | null>(given ? (given.helpful ? 'oui' : 'non') : null);
  const [comment, setComment] = useState(given?.comment ?? '');
  const [saved, setSaved] = useState(given);
  const [editing, setEditing] = useState(!given);
  const [answerError, setAnswerError] = useState<string | null>(null);
  const [commentProblem, setCommentProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [thanks, setThanks] = useState(false);
  const id = `avis-${reply.id}`;
  const changeable = !saved || new Date(saved.changeable_until) > now;

  async function send(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const missing = answer ? null : 'Choisissez « Oui » ou « Non ».';
    const tooLong = commentError(comment);
    setAnswerError(missing);
    setCommentProblem(tooLong);
    setFailure(null);
    if (missing || tooLong) return;
    setSending(true);
    try {
      const body = { helpful: answer === 'oui', comment: comment.trim() ? comment : null };
      setSaved(await api.put<NonNullable<ThreadMessage['satisfaction']>>(replyPath(threadId, reply.id, 'satisfaction'), body));
      setEditing(false);
      setThanks(true);
    } catch (caught) {
      setFailure(describeError(caught));
    } finally {
      setSending(false);
    }
  }

  if (saved && !editing) {
    return (
      <div className="fr-mt-2w" id={id}>
        {thanks ? (
          <Alert severity="success" live="polite" small className="fr-mb-1w">
            Merci, votre avis a été enregistré.
          </Alert>
        ) : null}
        <p className="fr-mb-1v">
          Cette réponse vous a-t-elle aidé ? <strong>Votre avis : {saved.helpful ? 'Oui' : 'Non'}</strong>
        </p>
        {saved.comment ? <p className="mm-prewrap fr-text--sm fr-mb-1v">Votre commentaire : {saved.comment}</p> : null}
        {changeable ? (
          <Button priority="tertiary" size="sm" onClick={() => { setEditing(true); setThanks(false); }}>
            Modifier mon avis (jusqu’au {formatDateTime(saved.changeable_until)})
          </Button>
        ) : null}
      </div>
    );
  }
  return (
    <form onSubmit={send} noValidate className="fr-mt-2w">
      {failure ? (
        <Alert severity="error" live="assertive" small className="fr-mb-2w">
          {failure}
        </Alert>
      ) : null}
      <RadioGroup
        id={id}
        name={id}
        legend="Cette réponse vous a-t-elle aidé ?"
        hint="Facultatif : votre avis aide votre MSA à améliorer ses réponses."
        options={[
          { value: 'oui', label: 'Oui' },
          { value: 'non', label: 'Non' },
        ]}
        value={answer}
        onChange={setAnswer}
        error={answerError}
      />
      <Textarea
        id={`${id}-commentaire`}
        label="Commentaire (facultatif)"
        hint="300 caractères au maximum. N’y indiquez pas de données médicales."
        rows={3}
        value={comment}
        onChange={(event) => setComment(event.target.value)}
        error={commentProblem}
        aria-describedby={`${id}-commentaire-hint ${id}-commentaire-messages ${id}-commentaire-compteur`}
        messages={<CharacterCounter id={`${id}-commentaire-compteur`} text={comment} max={COMMENT_MAX_CHARACTERS} />}
      />
      <Button type="submit" size="sm" disabled={sending}>
        Envoyer mon avis
      </Button>
    </form>
  );
}
