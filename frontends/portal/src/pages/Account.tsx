import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import {
  Alert,
  Breadcrumb,
  Button,
  Checkbox,
  ErrorSummary,
  Input,
  Loading,
  PageHeading,
  PasswordInput,
  Toggle,
  api,
  describeError,
  labelled,
  request,
  useDocumentTitle,
  useLocation,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { clearAllDrafts } from '../draft';
import { type FieldErrors, apiFieldErrors, summary } from '../forms';
import { useSession } from '../session';
import type { EmailPreferences } from '../types';

export const PREFERENCES_PATH = '/api/notifier/preferences';

/** Under every « mot de passe actuel »: who may leave it empty. */
const CURRENT_PASSWORD_HINT =
  'Par sécurité, cette modification demande votre mot de passe actuel. Connecté avec FranceConnect il y a moins de 5 minutes ? Vous pouvez laisser ce champ vide.';

/** « Courriels de notification »: the thread emails, on or off, saved as soon as changed. */
function NotificationPreferences({ focus }: { focus: boolean }) {
  const section = useRef<HTMLElement>(null);
  const [preferences, setPreferences] = useState<EmailPreferences | null>(null);
  const [loadFailure, setLoadFailure] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState<boolean | null>(null);
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    setLoadFailure(null);
    try {
      setPreferences(await api.get<EmailPreferences>(PREFERENCES_PATH));
    } catch (error) {
      setLoadFailure(describeError(error));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    // Arriving from an email's link (/compte#notifications): start reading here.
    if (focus) section.current?.focus();
  }, [focus]);

  async function change(threadEmails: boolean) {
    if (saving || !preferences) return;
    const before = preferences;
    setPreferences({ ...preferences, thread_emails: threadEmails });
    setFailure(null);
    setSaved(null);
    setSaving(true);
    try {
      setPreferences(await api.put<EmailPreferences>(PREFERENCES_PATH, { thread_emails: threadEmails }));
      setSaved(threadEmails);
    } catch (error) {
      setPreferences(before);
      setFailure(`Votre choix n’a pas pu être enregistré. ${describeError(error)}`);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="fr-mb-6w" id="notifications" aria-labelledby="titre-notifications" tabIndex={-1} ref={section}>
      <h2 id="titre-notifications">Courriels de notification</h2>
      <p>
        Nous vous écrivons à votre adresse électronique lorsque votre message est bien reçu et lorsqu’une réponse est disponible
        dans « Mes messages et mes réponses ». Ces courriels ne contiennent jamais le texte de vos échanges.
      </p>
      {loadFailure ? (
        <Alert severity="error" small live="assertive" className="fr-mb-3w">
          <p>{`Vos préférences n’ont pas pu être chargées. ${loadFailure}`}</p>
          <Button priority="secondary" size="sm" className="fr-mt-1w" onClick={() => void load()}>
            Réessayer
          </Button>
        </Alert>
      ) : !preferences ? (
        <Loading label="Chargement de vos préférences…" />
      ) : (
        <Toggle
          id="courriels-suivi"
          label="Me prévenir par courriel de la réception de mes messages et des réponses de ma caisse"
          hint="Les courriels liés à la sécurité de votre compte (code d’activation, mot de passe, blocage, changement d’adresse) vous sont toujours envoyés."
          checked={preferences.thread_emails}
          onChange={(checked) => void change(checked)}
          disabled={saving}
        />
      )}
      {failure ? (
        <Alert severity="error" small live="assertive" className="fr-mt-3w">
          {failure}
        </Alert>
      ) : null}
      {/* Present before it is filled, so that screen readers announce what is put in it. */}
      <div role="status" className="fr-mt-3w">
        {saved === null ? null : (
          <Alert severity="success" small>
            {saved
              ? 'C’est enregistré : vous serez prévenu par courriel de la réception de vos messages et des réponses de votre caisse.'
              : 'C’est enregistré : vous ne recevrez plus ces courriels. Consultez régulièrement « Mes messages et mes réponses » pour lire les réponses de votre caisse.'}
          </Alert>
        )}
      </div>
    </section>
  );
}

function EmailChange() {
  const { reload } = useSession();
  const [email, setEmail] = useState('');
  const [current, setCurrent] = useState('');
  const [code, setCode] = useState('');
  const [stage, setStage] = useState<'email' | 'code' | 'done'>('email');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function requestCode(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setFailure(null);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) {
      setErrors({ 'nouveau-courriel': 'Saisissez une adresse électronique valide, par exemple nom@exemple.fr.' });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await api.post('/api/auth/me/email', { email: email.trim(), current_password: current || undefined });
      setCurrent('');
      setStage('code');
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { email: 'nouveau-courriel', current_password: 'courriel-mot-de-passe' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setFailure(null);
    if (!code.trim()) {
      setErrors({ 'code-courriel': 'Saisissez le code reçu à votre nouvelle adresse.' });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await api.post('/api/auth/me/email/confirmation', { code: code.replace(/\s/g, '') });
      setStage('done');
      await reload();
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { code: 'code-courriel' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="fr-mb-6w" aria-labelledby="titre-courriel">
      <h2 id="titre-courriel">Changer mon adresse électronique</h2>
      {failure ? (
        <Alert severity="error" small live="assertive" className="fr-mb-3w">
          {failure}
        </Alert>
      ) : null}
      {stage === 'done' ? (
        <Alert severity="success" small live="polite">
          Votre nouvelle adresse est enregistrée.
        </Alert>
      ) : stage === 'email' ? (
        <form onSubmit={requestCode} noValidate>
          <ErrorSummary errors={summary(errors, ['nouveau-courriel', 'courriel-mot-de-passe'])} />
          <Input id="nouveau-courriel" type="email" label="Nouvelle adresse électronique" hint="Un code de confirmation y sera envoyé. Votre adresse actuelle sera prévenue du changement." value={email} onChange={(event) => setEmail(event.target.value)} error={errors['nouveau-courriel']} autoComplete="email" />
          <PasswordInput id="courriel-mot-de-passe" label="Mot de passe actuel" hint={CURRENT_PASSWORD_HINT} autoComplete="current-password" value={current} onChange={setCurrent} error={errors['courriel-mot-de-passe']} />
          <Button type="submit" priority="secondary" disabled={busy}>
            Recevoir un code
          </Button>
        </form>
      ) : (
        <form onSubmit={confirm} noValidate>
          <Alert severity="info" small className="fr-mb-3w">
            {`Un code a été envoyé à ${email.trim()}.`}
          </Alert>
          <ErrorSummary errors={summary(errors, ['code-courriel'])} />
          <Input id="code-courriel" label="Code de confirmation" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(event) => setCode(event.target.value)} error={errors['code-courriel']} />
          <Button type="submit" disabled={busy}>
            Confirmer ma nouvelle adresse
          </Button>
        </form>
      )}
    </section>
  );
}

function PasswordChange() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const local: FieldErrors = {};
    if (next.length < 12) local['mot-de-passe-futur'] = 'Choisissez un mot de passe d’au moins 12 caractères.';
    setErrors(local);
    setFailure(null);
    setDone(false);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await api.post('/api/auth/password', { current_password: current || undefined, new_password: next });
      setDone(true);
      setCurrent('');
      setNext('');
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { current_password: 'mot-de-passe-actuel', new_password: 'mot-de-passe-futur', password: 'mot-de-passe-futur' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="fr-mb-6w" aria-labelledby="titre-mot-de-passe">
      <h2 id="titre-mot-de-passe">Changer mon mot de passe</h2>
      <form onSubmit={submit} noValidate>
        <ErrorSummary errors={summary(errors, ['mot-de-passe-actuel', 'mot-de-passe-futur'])} />
        {failure ? (
          <Alert severity="error" small live="assertive" className="fr-mb-3w">
            {failure}
          </Alert>
        ) : null}
        {done ? (
          <Alert severity="success" small live="polite" className="fr-mb-3w">
            Votre mot de passe est changé. Un courriel vous le confirme ; vos autres connexions sont fermées.
          </Alert>
        ) : null}
        <PasswordInput id="mot-de-passe-actuel" label="Mot de passe actuel" hint={CURRENT_PASSWORD_HINT} autoComplete="current-password" value={current} onChange={setCurrent} error={errors['mot-de-passe-actuel']} />
        <PasswordInput id="mot-de-passe-futur" label="Nouveau mot de passe" hint="Au moins 12 caractères" autoComplete="new-password" value={next} onChange={setNext} error={errors['mot-de-passe-futur']} />
        <Button type="submit" priority="secondary" disabled={busy} className="fr-mt-2w">
          Changer mon mot de passe
        </Button>
      </form>
    </section>
  );
}

/** « Ne plus utiliser FranceConnect »: unlink the identity (the password, or a fresh FranceConnect login). */
function FranceConnectUnlink() {
  const { member, reload } = useSession();
  const [current, setCurrent] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!member?.franceconnect_linked && !done) return null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setErrors({});
    setFailure(null);
    setBusy(true);
    try {
      await request('/api/auth/me/franceconnect', { method: 'DELETE', body: { current_password: current || undefined } });
      setDone(true);
      setCurrent('');
      await reload();
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { current_password: 'franceconnect-mot-de-passe' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="fr-mb-6w" aria-labelledby="titre-franceconnect">
      <h2 id="titre-franceconnect">FranceConnect</h2>
      {done ? (
        <Alert severity="success" small live="polite">
          Votre compte n’est plus relié à FranceConnect. Connectez-vous désormais avec votre numéro de sécurité sociale et votre mot de passe.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Votre compte est relié à FranceConnect. Vous pouvez ne plus l’utiliser : vous vous connecterez alors avec votre numéro de sécurité sociale et votre mot de passe (choisissez-en un avec « Mot de passe oublié » si vous n’en avez pas).</p>
          <ErrorSummary errors={summary(errors, ['franceconnect-mot-de-passe'])} />
          {failure ? (
            <Alert severity="error" small live="assertive" className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <PasswordInput id="franceconnect-mot-de-passe" label="Mot de passe actuel" hint={CURRENT_PASSWORD_HINT} autoComplete="current-password" value={current} onChange={setCurrent} error={errors['franceconnect-mot-de-passe']} />
          <Button type="submit" priority="secondary" disabled={busy} className="fr-mt-2w">
            Ne plus utiliser FranceConnect
          </Button>
        </form>
      )}
    </section>
  );
}

/** « Supprimer mon compte »: asks for the password (or a fresh FranceConnect login) and a ticked box. */
function AccountDeletion() {
  const [current, setCurrent] = useState('');
  const [sure, setSure] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setFailure(null);
    if (!sure) {
      setErrors({ 'suppression-confirmation': 'Cochez la case pour confirmer la suppression de votre compte.' });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await request('/api/auth/me', { method: 'DELETE', body: { current_password: current || undefined } });
      // The session ended with the account: back to the home page, nothing kept here.
      clearAllDrafts();
      window.location.assign('/');
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { current_password: 'suppression-mot-de-passe' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="fr-mb-6w" aria-labelledby="titre-suppression">
      <h2 id="titre-suppression">Supprimer mon compte</h2>
      <p>
        Votre compte et vos coordonnées seront supprimés ; vos échanges restent conservés par votre caisse le temps prévu. Un courriel vous confirmera la suppression.
      </p>
      <form onSubmit={submit} noValidate>
        <ErrorSummary errors={summary(errors, ['suppression-mot-de-passe', 'suppression-confirmation'])} />
        {failure ? (
          <Alert severity="error" small live="assertive" className="fr-mb-3w">
            {failure}
          </Alert>
        ) : null}
        <PasswordInput id="suppression-mot-de-passe" label="Mot de passe actuel" hint={CURRENT_PASSWORD_HINT} autoComplete="current-password" value={current} onChange={setCurrent} error={errors['suppression-mot-de-passe']} />
        <Checkbox id="suppression-confirmation" label="Je veux supprimer définitivement mon compte" checked={sure} onChange={setSure} />
        {errors['suppression-confirmation'] ? <p className="fr-error-text">{errors['suppression-confirmation']}</p> : null}
        <Button type="submit" priority="secondary" disabled={busy} className="fr-mt-2w">
          Supprimer mon compte
        </Button>
      </form>
    </section>
  );
}

export function AccountPage() {
  useDocumentTitle('Mon compte', SERVICE_TITLE);
  const { member, fund, logout } = useSession();
  const toNotifications = useLocation().hash === '#notifications';
  return (
    <>
      <Breadcrumb items={[{ label: 'Accueil', to: '/' }, { label: 'Mon compte' }]} />
      <PageHeading focus={!toNotifications}>Mon compte</PageHeading>
      <ul className="fr-raw-list fr-mb-4w">
        <li>
          <span className="fr-text--bold">{labelled('Nom')}</span> {member?.given_name} {member?.family_name}
        </li>
        {member?.email ? (
          <li>
            <span className="fr-text--bold">{labelled('Adresse électronique')}</span> {member.email}
          </li>
        ) : null}
        <li>
          <span className="fr-text--bold">{labelled('Ma caisse')}</span> {fund?.name ?? member?.fund}
        </li>
      </ul>
      <NotificationPreferences focus={toNotifications} />
      <EmailChange />
      <PasswordChange />
      <FranceConnectUnlink />
      <AccountDeletion />
      <Button priority="secondary" icon="fr-icon-logout-box-r-line" onClick={() => void logout()}>
        Se déconnecter
      </Button>
    </>
  );
}
