import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { Alert, Button, ErrorSummary, Input, Loading, PageHeading, Select, api, describeError, formatDateTime, useDocumentTitle } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { useSession } from '../session';
import type { Agent, Agents, PasswordResetSent } from '../types';

const ROLES: Record<Agent['role'], string> = { agent: 'Conseiller', supervisor: 'Superviseur', admin: 'Administrateur' };

/**
 * « Conseillers »: the agents a supervisor (their fund) or an admin manages. A manager never
 * chooses an agent's password: « Envoyer un lien » emails the agent a one-time link, and a new
 * agent chooses their first password the same way.
 */
export function AgentsPage() {
  useDocumentTitle('Conseillers', APP_TITLE);
  const { agent: me } = useSession();
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setAgents((await api.get<Agents>('/api/auth/agents')).data);
    } catch (error) {
      setFailure(describeError(error));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  async function sendLink(agent: Agent) {
    if (busy) return;
    setBusy(agent.id);
    setFailure(null);
    setNotice(null);
    try {
      const sent = await api.post<PasswordResetSent>(`/api/auth/agents/${agent.id}/password-reset`);
      setNotice(`Un lien a été envoyé à ${agent.email} pour choisir un nouveau mot de passe ; il est valable jusqu’au ${formatDateTime(sent.expires_at)}.`);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(null);
    }
  }

  async function setActive(agent: Agent, active: boolean) {
    if (busy) return;
    setBusy(agent.id);
    setFailure(null);
    setNotice(null);
    try {
      const updated = await api.patch<Agent>(`/api/auth/agents/${agent.id}`, { active });
      setAgents((current) => (current ?? []).map((candidate) => (candidate.id === updated.id ? updated : candidate)));
      setNotice(active ? `${agent.given_name} ${agent.family_name} peut à nouveau se connecter.` : `${agent.given_name} ${agent.family_name} est désactivé : ses connexions sont fermées.`);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(null);
    }
  }

  return (
    <>
      <PageHeading>Conseillers</PageHeading>
      <p>Vous ne choisissez jamais le mot de passe d’un conseiller : envoyez-lui un lien, il le choisira lui-même.</p>
      <div role="status">
        {notice ? (
          <Alert severity="success" small className="fr-mb-3w">
            {notice}
          </Alert>
        ) : null}
      </div>
      {failure ? (
        <Alert severity="error" small live="assertive" className="fr-mb-3w">
          {failure}
        </Alert>
      ) : null}
      {agents === null ? (
        <Loading label="Chargement des conseillers…" />
      ) : (
        <div className="fr-table fr-table--no-caption">
          <table>
            <caption>Conseillers</caption>
            <thead>
              <tr>
                <th scope="col">Nom</th>
                <th scope="col">Adresse électronique</th>
                <th scope="col">Rôle</th>
                <th scope="col">Caisse</th>
                <th scope="col">État</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((agent) => (
                <tr key={agent.id}>
                  <td>
                    {agent.given_name} {agent.family_name}
                  </td>
                  <td>{agent.email}</td>
                  <td>{ROLES[agent.role]}</td>
                  <td>{agent.fund}</td>
                  <td>{agent.active ? 'Actif' : 'Désactivé'}</td>
                  <td>
                    {agent.id === me?.id ? null : (
                      <>
                        <Button size="sm" priority="secondary" disabled={busy !== null || !agent.active} onClick={() => void sendLink(agent)} className="fr-mb-1w">
                          {`Envoyer un lien de réinitialisation à ${agent.given_name} ${agent.family_name}`}
                        </Button>{' '}
                        <Button size="sm" priority="tertiary" disabled={busy !== null} onClick={() => void setActive(agent, !agent.active)}>
                          {agent.active ? `Désactiver ${agent.given_name} ${agent.family_name}` : `Réactiver ${agent.given_name} ${agent.family_name}`}
                        </Button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewAgent onCreated={(created) => setAgents((current) => [...(current ?? []), created])} />
    </>
  );
}

function NewAgent({ onCreated }: { onCreated: (agent: Agent) => void }) {
  const { agent: me } = useSession();
  const [email, setEmail] = useState('');
  const [givenName, setGivenName] = useState('');
  const [familyName, setFamilyName] = useState('');
  const [role, setRole] = useState<Agent['role']>('agent');
  const [fund, setFund] = useState('');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || !me) return;
    const local = [];
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) local.push({ fieldId: 'nouveau-courriel', message: 'Saisissez une adresse électronique valide.' });
    if (!givenName.trim()) local.push({ fieldId: 'nouveau-prenom', message: 'Saisissez le prénom.' });
    if (!familyName.trim()) local.push({ fieldId: 'nouveau-nom', message: 'Saisissez le nom.' });
    setErrors(local);
    setFailure(null);
    setDone(null);
    if (local.length) return;
    setBusy(true);
    try {
      const created = await api.post<Agent>('/api/auth/agents', {
        email: email.trim(),
        given_name: givenName.trim(),
        family_name: familyName.trim(),
        role,
        fund: me.role === 'admin' && fund.trim() ? fund.trim().toUpperCase() : me.fund,
        skills: [],
      });
      onCreated(created);
      setDone(`Le compte de ${created.given_name} ${created.family_name} est créé : un lien pour choisir son mot de passe lui a été envoyé.`);
      setEmail('');
      setGivenName('');
      setFamilyName('');
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const errorFor = (id: string) => errors.find((error) => error.fieldId === id)?.message;
  return (
    <section className="fr-mt-6w" aria-labelledby="titre-nouveau-conseiller">
      <h2 id="titre-nouveau-conseiller">Créer un compte de conseiller</h2>
      <form onSubmit={submit} noValidate>
        <ErrorSummary errors={errors} />
        {failure ? (
          <Alert severity="error" small live="assertive" className="fr-mb-3w">
            {failure}
          </Alert>
        ) : null}
        <div role="status">
          {done ? (
            <Alert severity="success" small className="fr-mb-3w">
              {done}
            </Alert>
          ) : null}
        </div>
        <Input id="nouveau-courriel" type="email" label="Adresse électronique professionnelle" value={email} onChange={(event) => setEmail(event.target.value)} error={errorFor('nouveau-courriel')} />
        <Input id="nouveau-prenom" label="Prénom" value={givenName} onChange={(event) => setGivenName(event.target.value)} error={errorFor('nouveau-prenom')} />
        <Input id="nouveau-nom" label="Nom" value={familyName} onChange={(event) => setFamilyName(event.target.value)} error={errorFor('nouveau-nom')} />
        <Select
          id="nouveau-role"
          label="Rôle"
          value={role}
          onChange={(event) => setRole(event.target.value as Agent['role'])}
          options={Object.entries(ROLES)
            .filter(([value]) => me?.role === 'admin' || value !== 'admin')
            .map(([value, label]) => ({ value, label }))}
        />
        {me?.role === 'admin' ? <Input id="nouveau-caisse" label="Caisse" hint={`Code à trois lettres ; vide : ${me.fund}`} value={fund} onChange={(event) => setFund(event.target.value)} /> : null}
        <Button type="submit" disabled={busy} className="fr-mt-2w">
          Créer le compte et envoyer le lien
        </Button>
      </form>
    </section>
  );
}
