import { type FormEvent, useState } from 'react';
import {
  Alert,
  ApiError,
  Button,
  ErrorSummary,
  Input,
  Link,
  PageHeading,
  PasswordInput,
  api,
  describeError,
  navigate,
  safeReturnPath,
  useDocumentTitle,
  useSearchParams,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { cleanNir, nirLoginError } from '../nir';
import { useSession } from '../session';

const FRANCECONNECT_ERRORS: Record<string, string> = {
  'franceconnect-annule': 'La connexion avec FranceConnect a été annulée : réessayez, ou connectez-vous avec votre numéro de sécurité sociale.',
  'franceconnect-invalide':
    'FranceConnect n’a pas pu confirmer votre identité : réessayez depuis cette page, ou connectez-vous avec votre numéro de sécurité sociale.',
  'franceconnect-indisponible':
    'FranceConnect ne répond pas pour le moment : réessayez dans quelques minutes, ou connectez-vous avec votre numéro de sécurité sociale.',
};

/** Where to go after a FranceConnect login (the provider brings the browser back to /messages). */
export const RETURN_AFTER_FRANCECONNECT = 'mm.retour';

/** The official FranceConnect button: a top-level navigation to the auth service. */
export function FranceConnectButton({ returnTo }: { returnTo: string }) {
  return (
    <div className="fr-connect-group">
      <form
        method="get"
        action="/api/auth/franceconnect/login"
        onSubmit={() => {
          if (returnTo !== '/messages') sessionStorage.setItem(RETURN_AFTER_FRANCECONNECT, returnTo);
        }}
      >
        <button type="submit" className="fr-connect">
          <span className="fr-connect__login">S’identifier avec</span> <span className="fr-connect__brand">FranceConnect</span>
        </button>
      </form>
      <p>
        <a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener noreferrer" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">
          Qu’est-ce que FranceConnect ?
        </a>
      </p>
    </div>
  );
}

export function LoginPage() {
  const params = useSearchParams();
  const { reload } = useSession();
  const linking = params.get('franceconnect') === 'lier';
  const returnTo = safeReturnPath(params.get('retour'), '/messages');
  const [nir, setNir] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ nir?: string; password?: string }>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  useDocumentTitle(linking ? 'Confirmer mon identité' : 'Connexion', SERVICE_TITLE);

  const fcError = params.get('erreur');

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const nextErrors: typeof errors = {};
    const nirError = nirLoginError(nir);
    if (nirError) nextErrors.nir = nirError;
    if (!password) nextErrors.password = 'Saisissez votre mot de passe.';
    setErrors(nextErrors);
    setFailure(null);
    if (Object.keys(nextErrors).length) return;
    setSending(true);
    try {
      await api.post(linking ? '/api/auth/franceconnect/link' : '/api/auth/session', { nir: cleanNir(nir), password }, { refreshOnUnauthorized: false });
      await reload();
      navigate(returnTo, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.fieldErrors.length) {
        const fieldErrors: typeof errors = {};
        for (const fieldError of error.fieldErrors) {
          if (fieldError.field.endsWith('nir')) fieldErrors.nir = fieldError.message;
          else if (fieldError.field.endsWith('password')) fieldErrors.password = fieldError.message;
        }
        setErrors(fieldErrors);
        if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
      } else {
        setFailure(describeError(error));
      }
    } finally {
      setSending(false);
    }
  }

  const summary = [
    errors.nir ? { fieldId: 'nir', message: errors.nir } : null,
    errors.password ? { fieldId: 'mot-de-passe', message: errors.password } : null,
  ].filter((item): item is { fieldId: string; message: string } => item !== null);

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>{linking ? 'Confirmer mon identité' : 'Se connecter à mon espace privé'}</PageHeading>
        {params.get('deconnecte') ? <Alert severity="success" small title="Vous êtes déconnecté." className="fr-mb-3w" /> : null}
        {fcError ? (
          <Alert severity="error" title="Connexion avec FranceConnect impossible" className="fr-mb-3w">
            {FRANCECONNECT_ERRORS[fcError] ?? FRANCECONNECT_ERRORS['franceconnect-invalide']}
          </Alert>
        ) : null}
        {linking ? (
          <Alert severity="info" title="Première connexion avec FranceConnect" className="fr-mb-3w">
            Pour relier FranceConnect à votre espace MSA, confirmez une seule fois votre identité avec votre numéro de
            sécurité sociale et votre mot de passe. Ensuite, FranceConnect suffira.
          </Alert>
        ) : (
          <section className="fr-mb-4w">
            <h2>Se connecter avec FranceConnect</h2>
            <p>FranceConnect est la solution proposée par l’État pour sécuriser et simplifier la connexion aux services en ligne.</p>
            <FranceConnectButton returnTo={returnTo} />
            <p className="fr-hr-or">ou</p>
          </section>
        )}
        <form onSubmit={submit} noValidate aria-labelledby="titre-formulaire">
          <h2 id="titre-formulaire">{linking ? 'Mes identifiants MSA' : 'Se connecter avec mon numéro de sécurité sociale'}</h2>
          <ErrorSummary errors={summary} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Input
            id="nir"
            name="nir"
            label="Numéro de sécurité sociale"
            hint="13 caractères, sans la clé. Exemple : 1 80 03 59 350 123"
            autoComplete="username"
            inputMode="text"
            spellCheck={false}
            value={nir}
            onChange={(event) => setNir(event.target.value)}
            error={errors.nir}
            required
          />
          <PasswordInput
            id="mot-de-passe"
            label="Mot de passe"
            autoComplete="current-password"
            value={password}
            onChange={setPassword}
            error={errors.password}
          />
          <p className="fr-mt-2w">
            <Link to="/mot-de-passe/oubli" className="fr-link">
              Mot de passe oublié ?
            </Link>
          </p>
          <Button type="submit" disabled={sending} className="fr-mt-2w">
            {linking ? 'Confirmer et relier FranceConnect' : 'Se connecter'}
          </Button>
        </form>
        <hr className="fr-mt-4w" />
        <h2 className="fr-h4">Vous n’avez pas encore d’espace privé ?</h2>
        <p>
          <Link className="fr-btn fr-btn--secondary" to="/inscription">
            Créer mon espace
          </Link>
        </p>
        <p>
          <Link className="fr-link" to="/inscription/activation">
            J’ai reçu un code d’activation
          </Link>
        </p>
      </div>
    </div>
  );
}
