import { type FormEvent, useState } from 'react';
import { Alert, Button, ErrorSummary, Input, Link, PageHeading, api, describeError, useDocumentTitle, useSearchParams } from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { type FieldErrors, apiFieldErrors, summary } from '../forms';
import { cleanNir, nirLoginError } from '../nir';
import { ENROLMENT_ANSWER } from './Register';

export function ActivationPage() {
  useDocumentTitle('Activer mon espace', SERVICE_TITLE);
  const params = useSearchParams();
  const [nir, setNir] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [sending, setSending] = useState(false);
  const [renewed, setRenewed] = useState(false);

  async function renew() {
    const nirError = nirLoginError(nir);
    setErrors(nirError ? { 'nir-activation': nirError } : {});
    setFailure(null);
    if (nirError) return;
    try {
      await api.post('/api/auth/members/activation/renewal', { nir: cleanNir(nir) }, { refreshOnUnauthorized: false });
      setRenewed(true);
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const local: FieldErrors = {};
    const nirError = nirLoginError(nir);
    if (nirError) local['nir-activation'] = nirError;
    if (!/^\s*\d[\d\s]*\s*$/.test(code)) local.code = 'Saisissez le code à 6 chiffres reçu par courrier ou par courriel.';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length) return;
    setSending(true);
    try {
      await api.post('/api/auth/members/activation', { nir: cleanNir(nir), code: code.replace(/\s/g, '') }, { refreshOnUnauthorized: false });
      setDone(true);
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, { nir: 'nir-activation', code: 'code' });
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setSending(false);
    }
  }

  if (done) {
    return (
      <>
        <PageHeading>Votre espace est activé</PageHeading>
        <Alert severity="success" title="Activation réussie">
          Vous pouvez maintenant vous connecter avec votre numéro de sécurité sociale et votre mot de passe.
        </Alert>
        <p className="fr-mt-3w">
          <Link className="fr-btn" to="/connexion">
            Se connecter
          </Link>
        </p>
      </>
    );
  }
  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageHeading>Activer mon espace</PageHeading>
        {params.get('nouveau') ? (
          <Alert severity="info" title="Votre demande est enregistrée" className="fr-mb-3w">
            {ENROLMENT_ANSWER} Saisissez-le ci-dessous avec votre numéro de sécurité sociale ; vous avez 5 essais.
          </Alert>
        ) : null}
        <form onSubmit={submit} noValidate>
          <ErrorSummary errors={summary(errors, ['nir-activation', 'code'])} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Input id="nir-activation" label="Numéro de sécurité sociale" hint="13 caractères, sans la clé" value={nir} onChange={(event) => setNir(event.target.value)} error={errors['nir-activation']} autoComplete="username" required />
          <Input id="code" label="Code d’activation" hint="6 chiffres, reçus par courrier ou par courriel" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(event) => setCode(event.target.value)} error={errors.code} required />
          <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
            <li>
              <Button type="submit" disabled={sending}>
                Activer mon espace
              </Button>
            </li>
            <li>
              <Button priority="secondary" onClick={() => void renew()}>
                Recevoir un nouveau code
              </Button>
            </li>
          </ul>
          {renewed ? (
            <Alert severity="info" small live="polite">
              Si une demande d’activation est en cours pour ce numéro, un nouveau code lui sera envoyé par courrier ou à l’adresse électronique connue de votre caisse.
            </Alert>
          ) : null}
        </form>
      </div>
    </div>
  );
}
