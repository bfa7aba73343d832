import { type FormEvent, useEffect, useState } from 'react';
import {
  Alert,
  Button,
  ErrorSummary,
  Input,
  Link,
  PageHeading,
  PasswordInput,
  Select,
  api,
  describeError,
  navigate,
  useDocumentTitle,
} from '@mes-messages/shared';
import { SERVICE_TITLE } from '../App';
import { type FieldErrors, apiFieldErrors, summary } from '../forms';
import { loadFunds } from '../session';
import type { Fund } from '../types';

const FIELDS = { nir: 'nir-complet', birth_date: 'naissance', given_name: 'prenom', family_name: 'nom', email: 'courriel', fund: 'caisse', password: 'nouveau-mot-de-passe' };
const ORDER = ['nir-complet', 'naissance', 'prenom', 'nom', 'courriel', 'caisse', 'nouveau-mot-de-passe', 'confirmation'];

export const PENDING_ACTIVATION_KEY = 'mm.activation';

export function RegisterPage() {
  useDocumentTitle('Créer mon espace', SERVICE_TITLE);
  const [funds, setFunds] = useState<Fund[]>([]);
  const [form, setForm] = useState({ nir: '', birth_date: '', given_name: '', family_name: '', email: '', fund: '', password: '', confirmation: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  useEffect(() => {
    loadFunds().then(setFunds).catch(() => setFailure('La liste des caisses n’a pas pu être chargée : rechargez la page.'));
  }, []);
  const set = (name: keyof typeof form) => (value: string) => setForm((previous) => ({ ...previous, [name]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (sending) return;
    const local: FieldErrors = {};
    const nir = form.nir.replace(/[\s.]/g, '').toUpperCase();
    if (nir.length !== 15) local['nir-complet'] = 'Saisissez les 15 caractères de votre numéro de sécurité sociale, clé comprise.';
    if (!form.birth_date) local.naissance = 'Saisissez votre date de naissance.';
    if (!form.given_name.trim()) local.prenom = 'Saisissez votre prénom.';
    if (!form.family_name.trim()) local.nom = 'Saisissez votre nom.';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email.trim())) local.courriel = 'Saisissez une adresse électronique valide, par exemple nom@exemple.fr.';
    if (!form.fund) local.caisse = 'Choisissez votre caisse MSA.';
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
          given_name: form.given_name.trim(),
          family_name: form.family_name.trim(),
          email: form.email.trim(),
          fund: form.fund,
          password: form.password,
        },
        { refreshOnUnauthorized: false },
      );
      sessionStorage.setItem(PENDING_ACTIVATION_KEY, JSON.stringify({ nir: nir.slice(0, 13), email: form.email.trim() }));
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
        <p>Tous les champs sont obligatoires. Un code d’activation vous sera envoyé par courriel : il est valable 24 heures.</p>
        <form onSubmit={submit} noValidate>
          <ErrorSummary errors={summary(errors, ORDER)} />
          {failure ? (
            <Alert severity="error" live="assertive" small className="fr-mb-3w">
              {failure}
            </Alert>
          ) : null}
          <Input id="nir-complet" label="Numéro de sécurité sociale" hint="15 caractères, clé comprise. Exemple : 2 95 10 99 126 111 93" value={form.nir} onChange={(event) => set('nir')(event.target.value)} error={errors['nir-complet']} autoComplete="off" spellCheck={false} required />
          <Input id="naissance" type="date" label="Date de naissance" hint="Format : jj/mm/aaaa" value={form.birth_date} onChange={(event) => set('birth_date')(event.target.value)} error={errors.naissance} autoComplete="bday" required />
          <Input id="prenom" label="Prénom" value={form.given_name} onChange={(event) => set('given_name')(event.target.value)} error={errors.prenom} autoComplete="given-name" required />
          <Input id="nom" label="Nom" value={form.family_name} onChange={(event) => set('family_name')(event.target.value)} error={errors.nom} autoComplete="family-name" required />
          <Input id="courriel" type="email" label="Adresse électronique" hint="Format attendu : nom@domaine.fr" value={form.email} onChange={(event) => set('email')(event.target.value)} error={errors.courriel} autoComplete="email" required />
          <Select id="caisse" label="Ma caisse MSA" placeholder="Choisir ma caisse" options={funds.map((fund) => ({ value: fund.code, label: fund.name }))} value={form.fund} onChange={(event) => set('fund')(event.target.value)} error={errors.caisse} required />
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
