import { type FormEvent, useState } from 'react';
import { Alert, Button, ErrorSummary, Input, PageHeading, PasswordInput, api, describeError, navigate, safeReturnPath, useDocumentTitle, useSearchParams } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { BASE, useSession } from '../session';

export function LoginPage() {
  useDocumentTitle('Connexion', APP_TITLE);
  const params = useSearchParams();
  const { reload } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const local = [];
    if (!email.trim()) local.push({ fieldId: 'courriel', message: 'Saisissez votre adresse électronique professionnelle.' });
    if (!password) local.push({ fieldId: 'mot-de-passe', message: 'Saisissez votre mot de passe.' });
    setErrors(local);
    setFailure(null);
    if (local.length) return;
    setSending(true);
    try {
      await api.post('/api/auth/agents/session', { email: email.trim(), password }, { refreshOnUnauthorized: false });
      await reload();
      const target = safeReturnPath(params.get('retour'), `${BASE}/`);
      navigate(target.startsWith(`${BASE}/`) ? target : `${BASE}/`, { replace: true });
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setSending(false);
    }
  }

  const errorFor = (id: string) => errors.find((error) => error.fieldId === id)?.message;
  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>Connexion des conseillers</PageHeading>
        {params.get('deconnecte') ? <Alert severity="success" small title="Vous êtes déconnecté." className="fr-mb-3w" /> : null}
        <form onSubmit={submit} noValidate>
          <ErrorSummary errors={errors} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Input id="courriel" type="email" label="Adresse électronique professionnelle" autoComplete="username" value={email} onChange={(event) => setEmail(event.target.value)} error={errorFor('courriel')} required />
          <PasswordInput id="mot-de-passe" label="Mot de passe" autoComplete="current-password" value={password} onChange={setPassword} error={errorFor('mot-de-passe')} />
          <Button type="submit" disabled={sending} className="fr-mt-3w">
            Se connecter
          </Button>
        </form>
      </div>
    </div>
  );
}
