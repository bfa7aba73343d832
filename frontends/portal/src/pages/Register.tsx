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
  navigate,
  useDocumentTitle,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { type FieldErrors, apiFieldErrors, summary } from '../forms';

const FIELDS = { nir: 'nir-complet', birth_date: 'naissance', family_name: 'nom', email: 'courriel', password: 'nouveau-mot-de-passe' };
const ORDER = ['nir-complet', 'naissance', 'nom', 'courriel', 'nouveau-mot-de-passe', 'confirmation'];

/** What the person is told after sending the form, whatever the registry says. */
export const ENROLMENT_ANSWER =
  'Si ces informations correspondent à une personne couverte par la MSA, un code d’activation lui sera envoyé par courrier ou à l’adresse électronique connue de votre caisse.';

export function RegisterPage() {
  useDocumentTitle('Créer mon espace', SERVICE_TITLE);
  const [form, setForm] = useState({ nir: '', birth_date: '', family_name: '', email: '', password: '', confirmation: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const set = (name: keyof typeof form) => (value: string) => setForm((previous) => ({ ...previous, [name]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const local: FieldErrors = {};
    const nir = form.nir.replace(/[\s.]/g, '').toUpperCase();
    if (nir.length !== 15) local['nir-complet'] = 'Saisissez les 15 caractères de votre numéro de sécurité sociale, clé comprise.';
    if (!form.birth_date) local.naissance = 'Saisissez votre date de naissance.';
    if (!form.family_name.trim()) local.nom = 'Saisissez votre nom de naissance ou votre nom d’usage.';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email.trim())) local.courriel = 'Saisissez une adresse électronique valide, par exemple nom@exemple.fr.';
    if (form.password.length < 12) local['nouveau-mot-de-passe'] = 'Choisissez un mot de passe d’au moins 12 caractères.';
    if (form.password !== form.confirmation) local.confirmation = 'Les deux mots de passe ne sont pas identiques.';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length) return;
    setSending(true);
    try {
      await api.post(
        '/api/auth/members',
        {
          nir,
          birth_date: form.birth_date,
          family_name: form.family_name.trim(),
          email: form.email.trim(),
          password: form.password,
        },
        { refreshOnUnauthorized: false },
      );
      // Nothing of the form stays in the browser: the activation page asks for the number again.
      navigate('/inscription/activation?nouveau=1');
    } catch (error) {
      const fieldErrors = apiFieldErrors(error, FIELDS);
      setErrors(fieldErrors);
      if (!Object.keys(fieldErrors).length) setFailure(describeError(error));
    } finally {
      setSending(false);
    }
  }

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-7">
        <PageHeading>Créer mon espace privé</PageHeading>
        <p>
          Tous les champs sont obligatoires. Votre numéro, votre date de naissance et votre nom sont comparés à ce que votre caisse MSA sait de vous ; le code d’activation vous est ensuite envoyé par courrier à l’adresse que votre caisse connaît (ou à l’adresse électronique qu’elle a vérifiée).
        </p>
        <form onSubmit={submit} noValidate>
          <ErrorSummary errors={summary(errors, ORDER)} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Input id="nir-complet" label="Numéro de sécurité sociale" hint="15 caractères, clé comprise. Exemple : 2 95 10 99 126 111 93" value={form.nir} onChange={(event) => set('nir')(event.target.value)} error={errors['nir-complet']} autoComplete="off" spellCheck={false} required />
          <Input id="naissance" type="date" label="Date de naissance" hint="Format : jj/mm/aaaa" value={form.birth_date} onChange={(event) => set('birth_date')(event.target.value)} error={errors.naissance} autoComplete="bday" required />
          <Input id="nom" label="Nom" hint="Nom de naissance ou nom d’usage" value={form.family_name} onChange={(event) => set('family_name')(event.target.value)} error={errors.nom} autoComplete="family-name" required />
          <Input id="courriel" type="email" label="Adresse électronique" hint="Pour vous prévenir des réponses à vos messages. Format attendu : nom@domaine.fr" value={form.email} onChange={(event) => set('email')(event.target.value)} error={errors.courriel} autoComplete="email" required />
          <PasswordInput id="nouveau-mot-de-passe" label="Mot de passe" hint="Au moins 12 caractères ; une phrase de passe facile à retenir convient." autoComplete="new-password" value={form.password} onChange={set('password')} error={errors['nouveau-mot-de-passe']} />
          <PasswordInput id="confirmation" label="Confirmation du mot de passe" autoComplete="new-password" value={form.confirmation} onChange={set('confirmation')} error={errors.confirmation} />
          <Button type="submit" disabled={sending} className="fr-mt-3w">
            Créer mon espace
          </Button>
        </form>
        <p className="fr-mt-4w">
          <Link className="fr-link" to="/connexion">
            J’ai déjà un espace : me connecter
          </Link>
        </p>
      </div>
    </div>
  );
}
