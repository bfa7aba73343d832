/**
 * "Écrire un nouveau message": the seed's steps 1 to 6, then the confirmation.
 *
 * 1 "Mon message concerne ..." (theme), 2 "Sujet", 3 "Motif" (radio buttons, earlier choices
 * recalled with "Modifier"), 4 the online service in a dialog when one matches (closing it goes
 * on), 5 "Mon message" (10 to 750 characters, live counter, medical-data advisory from the
 * messages service), 6 "Récapitulatif de ma demande" and "Envoyer".
 *
 * The draft lives in localStorage until it is sent (see draft.ts).
 */
import { type FormEvent, type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
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
  Modal,
  PageHeading,
  RadioGroup,
  ServiceUnavailableError,
  Textarea,
  api,
  describeError,
  formatCalendarDay,
  labelled,
  messageLengthError,
  navigate,
  useDocumentTitle,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { RecapAttachments, WizardAttachments, saveChosen, useChosenAttachments } from '../attachments/attachments';
import { type Draft, type WizardStep, clearDraft, emptyDraft, fingerprint, loadDraft, saveDraft, withSendKey } from '../draft';
import { useSession } from '../session';
import { ReceiptLink } from '../receipts';
import type { Advisory, CatalogMotif, CatalogSubject, CatalogTheme, CatalogTree, OnlineService, Prepared, ThreadCreated } from '../types';

export const STEP_TITLES: Record<1 | 2 | 3 | 4 | 5 | 6, string> = {
  1: 'Mon message concerne ...',
  2: 'Sujet',
  3: 'Motif',
  4: 'Service en ligne',
  5: 'Mon message',
  6: 'Récapitulatif de ma demande',
};

export const MEDICAL_NOTICE = "Attention : nous vous conseillons de ne pas communiquer d'information relative à des données médicales.";
export const PLACEHOLDER = 'Écrivez ici votre message (minimum 10 caractères)...';

function Stepper({ step, focus }: { step: 1 | 2 | 3 | 4 | 5 | 6; focus: boolean }) {
  const next = step < 6 ? STEP_TITLES[(step + 1) as 2 | 3 | 4 | 5 | 6] : null;
  return (
    <div className="fr-stepper">
      <PageHeading level={2} className="fr-stepper__title" focus={focus} key={step}>
        {STEP_TITLES[step]}
        <span className="fr-stepper__state">Étape {step} sur 6</span>
      </PageHeading>
      <div className="fr-stepper__steps" data-fr-current-step={step} data-fr-steps="6" />
      {next ? (
        <p className="fr-stepper__details">
          <span className="fr-text--bold">Étape suivante :</span> {next}
        </p>
      ) : null}
    </div>
  );
}

function Recall({ label, value, onModify, what }: { label: string; value: ReactNode; onModify?: () => void; what: string }) {
  return (
    <div className="mm-recall">
      <p>
        <span className="fr-text--bold">{labelled(label)}</span> {value}
      </p>
      {onModify ? (
        <Button priority="tertiary" size="sm" icon="fr-icon-edit-line" onClick={onModify}>
          Modifier<span className="fr-sr-only"> {what}</span>
        </Button>
      ) : null}
    </div>
  );
}

function resolveOnlineService(theme?: CatalogTheme, subject?: CatalogSubject, motif?: CatalogMotif): OnlineService | null {
  return motif?.online_service ?? subject?.online_service ?? theme?.online_service ?? null;
}

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
  const [files, setFiles] = useChosenAttachments(memberId);
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
      setChoiceError(
        step === 1 ? 'Choisissez ce que concerne votre message.' : step === 2 ? 'Choisissez le sujet de votre message.' : 'Choisissez le motif de votre message.',
      );
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
      saveChosen(memberId, []);
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
        <PageHeading level={2} focus>
          Votre message a bien été envoyé
        </PageHeading>
        <Alert severity="success" title={`Référence de votre demande : ${sent.reference}`} headingLevel={3}>
          <p>
            {`Votre MSA vous répondra au plus tard le ${formatCalendarDay(sent.due_date)}.`}{' '}
            Un courriel de confirmation vous a été envoyé. Vous serez prévenu par courriel lorsque la réponse sera disponible dans
            « Mes messages et mes réponses ».
          </p>
          <ReceiptLink threadId={sent.thread_id} messageId={sent.message_id} />
        </Alert>
        <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
          <li>
            <Link className="fr-btn" to={`/messages/${sent.thread_id}`}>
              Voir ma demande
            </Link>
          </li>
          <li>
            <Link className="fr-btn fr-btn--secondary" to="/messages">
              Retour à mes messages
            </Link>
          </li>
        </ul>
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

  const recall = (upTo: number) => (
    <div className="fr-mb-3w">
      {upTo >= 1 && theme ? <Recall label="Mon message concerne" value={theme.label} onModify={() => goTo(1)} what="ce que concerne mon message" /> : null}
      {upTo >= 2 && subject ? <Recall label="Sujet" value={subject.label} onModify={() => goTo(2)} what="le sujet" /> : null}
      {upTo >= 3 && motif ? <Recall label="Motif" value={motif.label} onModify={() => goTo(3)} what="le motif" /> : null}
      {upTo >= 3 && onlineService ? (
        <Recall
          label="Service en ligne"
          what="le service en ligne"
          value={
            <a href={onlineService.url} className="fr-link">
              {onlineService.title}
            </a>
          }
        />
      ) : null}
    </div>
  );

  const cancelButton = (
    <Button priority="secondary" onClick={cancel}>
      Annuler
    </Button>
  );

  let body: ReactNode;
  if (step === 1 || step === 2 || step === 3) {
    const options =
      step === 1
        ? tree.themes.map((item) => ({ value: item.code, label: item.label }))
        : step === 2
          ? (theme?.subjects ?? []).map((item) => ({ value: item.code, label: item.label }))
          : (subject?.motifs ?? []).map((item) => ({ value: item.code, label: item.label }));
    const legend = step === 1 ? 'Mon dossier :' : step === 2 ? 'Sujet' : 'Motif';
    body = (
      <form onSubmit={validateChoice} noValidate>
        {recall(step - 1)}
        <ErrorSummary errors={choiceError ? [{ fieldId: 'choix', message: choiceError }] : []} />
        <RadioGroup id="choix" name={`etape-${step}`} legend={legend} options={options} value={choice} onChange={setChoice} error={choiceError} />
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>{cancelButton}</li>
          <li>
            <Button type="submit">Valider</Button>
          </li>
        </ul>
      </form>
    );
  } else if (step === 5) {
    body = (
      <form onSubmit={validateMessage} noValidate>
        {recall(3)}
        <ErrorSummary errors={textError ? [{ fieldId: 'message', message: textError }] : []} />
        {failureAlert}
        <Alert severity="info" small className="fr-mb-3w">
          {MEDICAL_NOTICE}
        </Alert>
        <Textarea
          id="message"
          label="Mon message"
          hint="Entre 10 et 750 caractères."
          placeholder={PLACEHOLDER}
          rows={10}
          value={draft.text}
          onChange={(event) => {
            const text = event.target.value;
            setDraft((previous) => ({ ...previous, text }));
            if (textError && !messageLengthError(text)) setTextError(null);
          }}
          error={textError}
          aria-describedby="message-hint message-messages message-compteur"
          messages={<CharacterCounter id="message-compteur" text={draft.text} max={MESSAGE_MAX_CHARACTERS} />}
        />
        <WizardAttachments files={files} onChange={(next) => (setFiles(next), setDraft((previous) => ({ ...previous, sendKey: null })))} disabled={checking} />
        {advisories.length && acknowledged === fingerprint(draft) ? (
          <div ref={advisoryRef} tabIndex={-1} className="fr-mb-3w" id="avertissement-medical">
            <Alert severity="warning" title="Votre message semble contenir des informations médicales" headingLevel={3}>
              <>
                {advisories.map((advisory) => (
                  <p key={advisory.code}>{advisory.message}</p>
                ))}
                <p>Vous pouvez modifier votre message, ou cliquer de nouveau sur « Valider » pour continuer.</p>
              </>
            </Alert>
          </div>
        ) : null}
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>{cancelButton}</li>
          <li>
            <Button type="submit" disabled={checking}>
              Valider
            </Button>
          </li>
        </ul>
      </form>
    );
  } else {
    body = (
      <>
        {failureAlert}
        <h3 className="fr-h6">{labelled('Ma demande')}</h3>
        <ul className="fr-raw-list fr-mb-3w" id="recapitulatif">
          <li>
            <span className="fr-text--bold">{labelled('Thème')}</span> {theme?.label}
          </li>
          <li>
            <span className="fr-text--bold">{labelled('Sujet')}</span> {subject?.label}
          </li>
          <li>
            <span className="fr-text--bold">{labelled('Motif')}</span> {motif?.label}
          </li>
        </ul>
        <div className="mm-entry">
          <p className="mm-prewrap fr-mb-0" id="recapitulatif-message">
            {draft.text.trim()}
          </p>
        </div>
        <RecapAttachments files={files} />
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>{cancelButton}</li>
          <li>
            <Button priority="secondary" onClick={() => goTo(5)} disabled={sending}>
              Précédent
            </Button>
          </li>
          <li>
            <Button onClick={() => void send()} disabled={sending} aria-disabled={sending}>
              Envoyer
            </Button>
          </li>
        </ul>
      </>
    );
  }

  return (
    <>
      {header}
      <Stepper step={step} focus={focusStep} />
      {body}
      {onlineService ? (
        <Modal
          id="service-en-ligne"
          title={onlineService.title}
          open={serviceOpen}
          onClose={closeService}
          footer={
            <ul className="fr-btns-group fr-btns-group--right fr-btns-group--inline-reverse fr-btns-group--inline-lg fr-btns-group--icon-left">
              <li>
                <a className="fr-btn fr-icon-external-link-line fr-btn--icon-left" href={onlineService.url}>
                  {onlineService.call_to_action || "J'utilise le service en ligne"}
                </a>
              </li>
              <li>
                <Button priority="secondary" onClick={closeService}>
                  Non merci, j’écris mon message
                </Button>
              </li>
            </ul>
          }
        >
          <p>Un service en ligne correspond à votre demande : il vous permet de la faire directement, sans attendre de réponse.</p>
          {onlineService.description ? <p>{onlineService.description}</p> : null}
        </Modal>
      ) : null}
    </>
  );
}
