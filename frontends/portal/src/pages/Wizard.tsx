/**
 * "Écrire un nouveau message": the seed's steps 1 to 6, then the confirmation.
 *
 * 1 "Mon message concerne ..." (theme), 2 "Sujet", 3 "Motif" (radio buttons, earlier choices
 * recalled with "Modifier"), 4 the online service in a dialog when one matches (closing it goes
 * on), 5 "Mon message" (10 to 750 characters, live counter, medical-data advisory from the
 * messages service, attachments), 6 "Récapitulatif de ma demande" and "Envoyer".
 *
 * This page holds the draft and the requests; each step's form is in ``wizard/``. The draft
 * lives in localStorage until it is sent (see draft.ts), the chosen files beside it.
 */
import { type FormEvent, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import {
  Alert,
  ApiError,
  Breadcrumb,
  Button,
  Loading,
  PageHeading,
  ServiceUnavailableError,
  api,
  describeError,
  messageLengthError,
  navigate,
  useDocumentTitle,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { saveChosen, useChosenAttachments, wizardFilesKey } from '../attachments/attachments';
import { type Draft, type WizardStep, clearDraft, emptyDraft, fingerprint, loadDraft, saveDraft, withSendKey } from '../draft';
import { useSession } from '../session';
import type { Advisory, CatalogTree, Prepared, ThreadCreated } from '../types';
import { CHOICE_MISSING, ChoiceStep } from './wizard/ChoiceStep';
import { MessageStep } from './wizard/MessageStep';
import { OnlineServiceDialog } from './wizard/OnlineServiceDialog';
import { RecapStep } from './wizard/RecapStep';
import { Sent } from './wizard/Sent';
import { type Choices, Stepper, resolveOnlineService } from './wizard/Steps';

export function WizardPage() {
  useDocumentTitle('Envoyer un message', SERVICE_TITLE);
  const { member } = useSession();
  const memberId = member!.id;
  const [tree, setTree] = useState<CatalogTree | null>(null);
  const [treeError, setTreeError] = useState<string | null>(null);
  const [draft, setDraftState] = useState<Draft>(() => loadDraft(memberId) ?? emptyDraft());
  const [choice, setChoice] = useState<string | null>(null);
  const [choiceError, setChoiceError] = useState<string | null>(null);
  const [focusStep, setFocusStep] = useState(false);
  const [serviceOpen, setServiceOpen] = useState(false);
  const [textError, setTextError] = useState<string | null>(null);
  const [advisories, setAdvisories] = useState<Advisory[]>([]);
  const [acknowledged, setAcknowledged] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [sent, setSent] = useState<ThreadCreated | null>(null);
  const sendingRef = useRef(false);
  const [sending, setSending] = useState(false);
  const [files, setFiles] = useChosenAttachments(wizardFilesKey(memberId));
  const failureRef = useRef<HTMLDivElement>(null);
  const advisoryRef = useRef<HTMLDivElement>(null);

  const setDraft = (update: (previous: Draft) => Draft) => {
    setDraftState((previous) => {
      const next = update(previous);
      saveDraft(memberId, next);
      return next;
    });
  };

  useEffect(() => {
    api
      .get<CatalogTree>('/api/catalog/tree')
      .then(setTree)
      .catch((error) => setTreeError(describeError(error)));
  }, []);

  const theme = tree?.themes.find((candidate) => candidate.code === draft.theme);
  const subject = theme?.subjects.find((candidate) => candidate.code === draft.subject);
  const motif = subject?.motifs.find((candidate) => candidate.code === draft.motif);
  const onlineService = resolveOnlineService(theme, subject, motif);

  // A draft pointing at codes the catalog no longer offers goes back to the first missing step.
  const step: WizardStep = useMemo(() => {
    if (!tree) return draft.step;
    if (!theme) return 1;
    if (!subject) return Math.min(draft.step, 2) as WizardStep;
    if (!motif) return Math.min(draft.step, 3) as WizardStep;
    return draft.step;
  }, [tree, theme, subject, motif, draft.step]);

  useEffect(() => {
    const current = step === 1 ? draft.theme : step === 2 ? draft.subject : step === 3 ? draft.motif : null;
    setChoice(current);
    setChoiceError(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step]);

  useEffect(() => {
    if (failure) failureRef.current?.focus();
  }, [failure]);

  function goTo(next: WizardStep) {
    setFailure(null);
    setTextError(null);
    setFocusStep(true);
    setDraft((previous) => ({ ...previous, step: next }));
  }

  function cancel() {
    clearDraft(memberId);
    navigate('/messages');
  }

  function validateChoice(event: FormEvent) {
    event.preventDefault();
    if (!choice) {
      setChoiceError(CHOICE_MISSING[step as 1 | 2 | 3]);
      return;
    }
    setChoiceError(null);
    if (step === 1) {
      setDraft((previous) => (previous.theme === choice ? previous : { ...previous, theme: choice, subject: null, motif: null }));
      goTo(2);
    } else if (step === 2) {
      setDraft((previous) => (previous.subject === choice ? previous : { ...previous, subject: choice, motif: null }));
      goTo(3);
    } else if (step === 3) {
      setDraft((previous) => ({ ...previous, motif: choice }));
      const chosen = subject?.motifs.find((candidate) => candidate.code === choice);
      const service = resolveOnlineService(theme, subject, chosen);
      if (service) setServiceOpen(true);
      else goTo(5);
    }
  }

  function closeService() {
    setServiceOpen(false);
    goTo(5);
  }

  async function validateMessage(event: FormEvent) {
    event.preventDefault();
    if (checking) return;
    const lengthError = messageLengthError(draft.text);
    setTextError(lengthError);
    setFailure(null);
    if (lengthError) return;
    const current = fingerprint(draft);
    if (advisories.length && acknowledged === current) {
      goTo(6);
      return;
    }
    setChecking(true);
    try {
      const prepared = await api.post<Prepared>('/api/messages/messages/prepare', {
        theme: draft.theme,
        subject: draft.subject,
        motif: draft.motif,
        text: draft.text,
      });
      const found = prepared.advisories;
      if (found.length) {
        setAdvisories(found);
        setAcknowledged(current);
        window.setTimeout(() => advisoryRef.current?.focus(), 0);
      } else {
        setAdvisories([]);
        goTo(6);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const textField = error.fieldErrors.find((fieldError) => fieldError.field.endsWith('text'));
        if (textField) setTextError(textField.message);
        else setFailure(describeError(error));
      } else {
        setFailure(describeError(error));
      }
    } finally {
      setChecking(false);
    }
  }

  async function send() {
    if (sendingRef.current) return;
    sendingRef.current = true;
    setSending(true);
    setFailure(null);
    // The key is saved with the draft before the request leaves: a reload or a retry after a
    // failure sends the same key, so the message is created once.
    const keyed = withSendKey(draft);
    setDraft(() => keyed);
    try {
      const answer = await api.post<ThreadCreated>(
        '/api/messages/threads',
        { theme: keyed.theme, subject: keyed.subject, motif: keyed.motif, text: keyed.text, attachment_ids: files.map((file) => file.id) },
        { idempotencyKey: keyed.sendKey! },
      );
      clearDraft(memberId);
      saveChosen(wizardFilesKey(memberId), []);
      setFocusStep(true);
      setSent(answer);
    } catch (error) {
      if (error instanceof ServiceUnavailableError) {
        setFailure(
          'Votre message n’a pas pu être envoyé : le service est momentanément indisponible. Il est conservé dans ce navigateur : réessayez dans quelques instants en cliquant sur « Envoyer ».',
        );
      } else if (error instanceof ApiError && error.status === 422) {
        const textField = error.fieldErrors.find((fieldError) => fieldError.field.endsWith('text'));
        if (textField) {
          goTo(5);
          setTextError(textField.message);
        } else setFailure(describeError(error));
      } else {
        setFailure(`Votre message n’a pas pu être envoyé. ${describeError(error)} Il est conservé dans ce navigateur.`);
      }
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  }

  const header = (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Mes messages', to: '/messages' }, { label: 'Écrire un nouveau message' }]} />
      <PageHeading>Envoyer un message</PageHeading>
    </>
  );

  if (sent) {
    return (
      <>
        {header}
        <Sent sent={sent} />
      </>
    );
  }

  if (treeError) {
    return (
      <>
        {header}
        <Alert severity="error" title="Le formulaire n’a pas pu être chargé" live="assertive">
          {treeError}
        </Alert>
      </>
    );
  }
  if (!tree) {
    return (
      <>
        {header}
        <Loading />
      </>
    );
  }

  const failureAlert = failure ? (
    <div ref={failureRef} tabIndex={-1} className="fr-mb-3w">
      <Alert severity="error" live="assertive" title="Échec de l’envoi" headingLevel={3}>
        {failure}
      </Alert>
    </div>
  ) : null;

  const choices: Choices = { theme, subject, motif, onlineService };

  const cancelButton = (
    <Button priority="secondary" onClick={cancel}>
      Annuler
    </Button>
  );

  let body: ReactNode;
  if (step === 1 || step === 2 || step === 3) {
    body = (
      <ChoiceStep
        step={step}
        tree={tree}
        choices={choices}
        choice={choice}
        onChoose={setChoice}
        error={choiceError}
        onSubmit={validateChoice}
        goTo={goTo}
        cancelButton={cancelButton}
      />
    );
  } else if (step === 5) {
    body = (
      <MessageStep
        choices={choices}
        goTo={goTo}
        text={draft.text}
        onText={(text) => {
          setDraft((previous) => ({ ...previous, text }));
          if (textError && !messageLengthError(text)) setTextError(null);
        }}
        textError={textError}
        files={files}
        onFiles={(next) => (setFiles(next), setDraft((previous) => ({ ...previous, sendKey: null })))}
        advisories={advisories.length && acknowledged === fingerprint(draft) ? advisories : []}
        advisoryRef={advisoryRef}
        checking={checking}
        onSubmit={validateMessage}
        failureAlert={failureAlert}
        cancelButton={cancelButton}
      />
    );
  } else {
    body = (
      <RecapStep
        choices={choices}
        text={draft.text}
        files={files}
        sending={sending}
        onBack={() => goTo(5)}
        onSend={() => void send()}
        failureAlert={failureAlert}
        cancelButton={cancelButton}
      />
    );
  }

  return (
    <>
      {header}
      <Stepper step={step} focus={focusStep} />
      {body}
      {onlineService ? <OnlineServiceDialog service={onlineService} open={serviceOpen} onClose={closeService} /> : null}
    </>
  );
}
