import { type FormEvent, useState } from 'react';
import { Alert, Button, ErrorSummary, Link, PageHeading, PasswordInput, api, describeError, useDocumentTitle, useLocation } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { BASE } from '../session';

/** The page of the emailed link (`#jeton=…`, kept out of every server log): the agent chooses their password. */
export function PasswordResetPage() {
  useDocumentTitle('Choisir mon mot de passe', APP_TITLE);
  const { hash } = useLocation();
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('jeton') ?? '';
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const local = [];
    if (password.length < 12) local.push({ fieldId: 'nouveau-mot-de-passe', message: 'Choisissez un mot de passe d’au moins 12 caractères.' });
    if (confirmation !== password) local.push({ fieldId: 'confirmation-mot-de-passe', message: 'Saisissez le même mot de passe dans les deux champs.' });
    setErrors(local);
    setFailure(null);
    if (local.length) return;
    setBusy(true);
    try {
      await api.post('/api/auth/agents/password/reset', { token, password }, { refreshOnUnauthorized: false });
      setDone(true);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const errorFor = (id: string) => errors.find((error) => error.fieldId === id)?.message;
  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>Choisir mon mot de passe</PageHeading>
        {!token ? (
          <Alert severity="error" small className="fr-mb-3w">
            Ce lien est incomplet : ouvrez le lien reçu par courriel, ou demandez-en un nouveau à votre responsable.
          </Alert>
        ) : done ? (
          <Alert severity="success" small live="polite" className="fr-mb-3w">
            <p>Votre mot de passe est enregistré. </p>
            <p>
              <Link to={`${BASE}/connexion`}>Se connecter</Link>
            </p>
          </Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <ErrorSummary errors={errors} />
            {failure ? (
              <Alert severity="error" small live="assertive" className="fr-mb-3w">
                {failure}
              </Alert>
            ) : null}
            <PasswordInput
              id="nouveau-mot-de-passe"
              label="Nouveau mot de passe"
              hint="Au moins 12 caractères mêlant minuscules, majuscules, chiffres ou signes, ou une phrase d’au moins 16 caractères. Personne d’autre que vous ne le connaîtra."
              autoComplete="new-password"
              value={password}
              onChange={setPassword}
              error={errorFor('nouveau-mot-de-passe')}
            />
            <PasswordInput id="confirmation-mot-de-passe" label="Confirmez le mot de passe" autoComplete="new-password" value={confirmation} onChange={setConfirmation} error={errorFor('confirmation-mot-de-passe')} />
            <Button type="submit" disabled={busy} className="fr-mt-3w">
              Enregistrer mon mot de passe
            </Button>
          </form>
        )}
      </div>
    </div>
  );
}
