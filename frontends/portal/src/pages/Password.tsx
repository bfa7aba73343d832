import { type FormEvent, useState } from 'react';
import {
  Alert,
  Button,
  ErrorSummary,
  Input,
  Link,
  PageHeading,
  PasswordInput,
  api,
  describeError,
  useDocumentTitle,
  useLocation,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { type FieldErrors, apiFieldErrors, summary } from '../forms';
import { cleanNir, nirLoginError } from '../nir';

export function ForgottenPasswordPage() {
  useDocumentTitle('Mot de passe oublié', SERVICE_TITLE);
  const [nir, setNir] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const nirError = nirLoginError(nir);
    setError(nirError);
    setFailure(null);
    if (nirError) return;
    setSending(true);
    try {
      await api.post('/api/auth/password/forgotten', { nir: cleanNir(nir) }, { refreshOnUnauthorized: false });
      setDone(true);
    } catch (caught) {
      setFailure(describeError(caught));
    } finally {
      setSending(false);
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>Mot de passe oublié</PageHeading>
        {done ? (
          <Alert severity="success" title="Demande enregistrée" live="polite">
            Si un espace correspond à ce numéro, un courriel vient de vous être envoyé avec un lien pour choisir un nouveau mot
            de passe. Ce lien est valable 30 minutes.
          </Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <p>Saisissez votre numéro de sécurité sociale : nous vous enverrons un lien pour choisir un nouveau mot de passe.</p>
            <ErrorSummary errors={error ? [{ fieldId: 'nir-oubli', message: error }] : []} />
            {failure ? (
              <Alert severity="error" live="assertive" small className="fr-mb-3w">
                {failure}
              </Alert>
            ) : null}
            <Input id="nir-oubli" label="Numéro de sécurité sociale" hint="13 caractères, sans la clé" value={nir} onChange={(event) => setNir(event.target.value)} error={error} autoComplete="username" required />
            <Button type="submit" disabled={sending}>
              Recevoir un lien
            </Button>
          </form>
        )}
        <p className="fr-mt-4w">
          <Link className="fr-link" to="/connexion">
            Retour à la connexion
          </Link>
        </p>
      </div>
    </div>
  );
}

export function ResetPasswordPage() {
  useDocumentTitle('Nouveau mot de passe', SERVICE_TITLE);
  const { hash } = useLocation();
  // The token travels in the fragment, so it never reaches a server's log.
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('jeton') ?? '';
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const local: FieldErrors = {};
    if (password.length < 12) local['mot-de-passe-nouveau'] = 'Choisissez un mot de passe d’au moins 12 caractères.';
    if (password !== confirmation) local['mot-de-passe-confirmation'] = 'Les deux mots de passe ne sont pas identiques.';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length) return;
    setSending(true);
    try {
      await api.post('/api/auth/password/reset', { token, password }, { refreshOnUnauthorized: false });
      window.history.replaceState(null, '', '/mot-de-passe/nouveau');
      setDone(true);
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { password: 'mot-de-passe-nouveau' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setSending(false);
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>Choisir un nouveau mot de passe</PageHeading>
        {done ? (
          <>
            <Alert severity="success" title="Votre mot de passe est changé">
              Pour votre sécurité, vos autres sessions ont été fermées. Connectez-vous avec votre nouveau mot de passe.
            </Alert>
            <p className="fr-mt-3w">
              <Link className="fr-btn" to="/connexion">
                Se connecter
              </Link>
            </p>
          </>
        ) : !token ? (
          <Alert severity="error" title="Lien incomplet">
            Ce lien ne contient pas de jeton : ouvrez le lien reçu par courriel, ou faites une nouvelle demande depuis « Mot de passe oublié ».
          </Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <ErrorSummary errors={summary(errors, ['mot-de-passe-nouveau', 'mot-de-passe-confirmation'])} />
            {failure ? (
              <Alert severity="error" live="assertive" small className="fr-mb-3w">
                {failure}
              </Alert>
            ) : null}
            <PasswordInput id="mot-de-passe-nouveau" label="Nouveau mot de passe" hint="Au moins 12 caractères" autoComplete="new-password" value={password} onChange={setPassword} error={errors['mot-de-passe-nouveau']} />
            <PasswordInput id="mot-de-passe-confirmation" label="Confirmation" autoComplete="new-password" value={confirmation} onChange={setConfirmation} error={errors['mot-de-passe-confirmation']} />
            <Button type="submit" disabled={sending} className="fr-mt-3w">
              Enregistrer mon nouveau mot de passe
            </Button>
          </form>
        )}
      </div>
    </div>
  );
}
