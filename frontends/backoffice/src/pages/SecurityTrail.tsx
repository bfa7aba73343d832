import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { Alert, Button, Input, Loading, PageHeading, Select, api, describeError, formatDateTime, useDocumentTitle } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { useSession } from '../session';
import { SECURITY_EVENT_KINDS, type SecurityEvent, type SecurityEvents } from '../types';

interface Filters {
  kind: string;
  outcome: string;
  actor: string;
  since: string;
  until: string;
  fund: string;
}

const EMPTY: Filters = { kind: '', outcome: '', actor: '', since: '', until: '', fund: '' };

/** A calendar day typed in the form, as the start of that day where the agent is (the API wants a zone). */
function startOfDay(day: string): string | undefined {
  if (!day) return undefined;
  return new Date(`${day}T00:00:00`).toISOString();
}

function nextDay(day: string): string | undefined {
  if (!day) return undefined;
  const local = new Date(`${day}T00:00:00`);
  local.setDate(local.getDate() + 1);
  return local.toISOString();
}

function who(event: SecurityEvent): string {
  if (event.actor_kind === 'system') return 'Le service';
  if (event.actor_id && event.actor_id === event.subject_id) return 'La personne elle-même';
  return event.actor_label ?? 'Inconnu';
}

function account(event: SecurityEvent): string {
  const label = event.subject_label ?? '—';
  if (event.subject_kind === 'member') return `Adhérent ${label}`;
  if (event.subject_kind === 'agent') return `Conseiller ${label}`;
  return label;
}

function details(event: SecurityEvent): string {
  const parts: string[] = [];
  if (event.method === 'password') parts.push('par mot de passe');
  if (event.method === 'franceconnect') parts.push('par FranceConnect');
  if (event.method === 'link') parts.push('par lien reçu par courriel');
  if (event.details.previous_role && event.details.role) parts.push(`rôle ${event.details.previous_role} → ${event.details.role}`);
  else if (event.details.role) parts.push(`rôle ${event.details.role}`);
  if (event.details.locked_until) parts.push(`bloqué jusqu’au ${formatDateTime(event.details.locked_until)}`);
  if (event.details.refused_by) {
    const by = event.details.refused_by.split(',').map((counter) => (counter === 'address' ? 'l’adresse' : 'le compte'));
    parts.push(`${event.details.locked === 'true' ? 'bloqué' : 'ralenti'} par ${by.join(' et ')}, nouvel essai possible le ${formatDateTime(event.details.retry_at)}`);
  }
  if (event.details.change) parts.push(`avant : ${SECURITY_EVENT_KINDS[event.details.change as SecurityEvent['kind']] ?? event.details.change}`);
  return parts.join(' ; ');
}

/** « Journal de sécurité »: connexions, échecs, blocages, changements et gestion des conseillers. */
export function SecurityTrailPage() {
  useDocumentTitle('Journal de sécurité', APP_TITLE);
  const { agent } = useSession();
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [entries, setEntries] = useState<SecurityEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (chosen: Filters, after: string | null) => {
    setBusy(true);
    setFailure(null);
    try {
      const page = await api.get<SecurityEvents>('/api/auth/security-events', {
        query: {
          kind: chosen.kind || undefined,
          outcome: chosen.outcome || undefined,
          actor: chosen.actor.trim() || undefined,
          since: startOfDay(chosen.since),
          until: nextDay(chosen.until),
          fund: chosen.fund.trim().toUpperCase() || undefined,
          cursor: after ?? undefined,
        },
      });
      setEntries((before) => (after && before ? [...before, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void load(EMPTY, null);
  }, [load]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (filters.since && filters.until && filters.since > filters.until) {
      setFailure('La date de début doit précéder la date de fin.');
      return;
    }
    setApplied(filters);
    void load(filters, null);
  }

  const set = (name: keyof Filters) => (value: string) => setFilters((current) => ({ ...current, [name]: value }));
  return (
    <>
      <PageHeading>Journal de sécurité</PageHeading>
      <p>
        Connexions, échecs et blocages, réinitialisations, changements d’adresse ou de mot de passe, liens FranceConnect, suppressions de compte et gestion des
        conseillers {agent?.role === 'admin' ? 'de toutes les caisses' : `de votre caisse (${agent?.fund ?? ''})`}. Les adhérents apparaissent par leur numéro masqué ;
        les adresses IP ne sont jamais conservées, seulement une empreinte (deux empreintes égales : même adresse).
      </p>
      <form onSubmit={submit} noValidate className="fr-mb-4w" aria-label="Filtrer le journal">
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-4">
            <Select
              id="journal-type"
              label="Événement"
              placeholder="Tous"
              value={filters.kind}
              onChange={(event) => set('kind')(event.target.value)}
              options={Object.entries(SECURITY_EVENT_KINDS).map(([value, label]) => ({ value, label }))}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Select
              id="journal-resultat"
              label="Résultat"
              placeholder="Tous"
              value={filters.outcome}
              onChange={(event) => set('outcome')(event.target.value)}
              options={[
                { value: 'success', label: 'Réussi' },
                { value: 'failure', label: 'Échoué' },
              ]}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Input
              id="journal-compte"
              label="Compte"
              hint="Adresse électronique d’un conseiller, numéro masqué d’un adhérent (2*********111) ou identifiant"
              value={filters.actor}
              onChange={(event) => set('actor')(event.target.value)}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Input id="journal-debut" type="date" label="Du" value={filters.since} onChange={(event) => set('since')(event.target.value)} />
          </div>
          <div className="fr-col-12 fr-col-md-4">
            <Input id="journal-fin" type="date" label="Au (inclus)" value={filters.until} onChange={(event) => set('until')(event.target.value)} />
          </div>
          {agent?.role === 'admin' ? (
            <div className="fr-col-12 fr-col-md-4">
              <Input id="journal-caisse" label="Caisse" hint="Code à trois lettres, par exemple NPC ; vide : toutes" value={filters.fund} onChange={(event) => set('fund')(event.target.value)} />
            </div>
          ) : null}
        </div>
        <Button type="submit" disabled={busy} className="fr-mt-2w">
          Afficher
        </Button>
      </form>
      {failure ? (
        <Alert severity="error" small live="assertive" className="fr-mb-3w">
          {failure}
        </Alert>
      ) : null}
      {entries === null ? (
        <Loading label="Chargement du journal…" />
      ) : entries.length === 0 ? (
        <p role="status">Aucun événement ne correspond à ces critères.</p>
      ) : (
        <div className="fr-table fr-table--no-caption" id="journal">
          <table>
            <caption>Événements de sécurité{applied.kind ? ` : ${SECURITY_EVENT_KINDS[applied.kind as SecurityEvent['kind']]}` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Événement</th>
                <th scope="col">Résultat</th>
                <th scope="col">Compte</th>
                <th scope="col">Par</th>
                <th scope="col">Détails</th>
                <th scope="col">Empreinte de l’adresse</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((event) => (
                <tr key={event.id}>
                  <td>{formatDateTime(event.occurred_at)}</td>
                  <td>{SECURITY_EVENT_KINDS[event.kind]}</td>
                  <td>{event.outcome === 'success' ? 'Réussi' : 'Échoué'}</td>
                  <td>
                    {account(event)}
                    {agent?.role === 'admin' && event.fund ? ` (${event.fund})` : ''}
                  </td>
                  <td>{who(event)}</td>
                  <td>{details(event)}</td>
                  <td>
                    <code>{event.address_hash ? event.address_hash.slice(0, 12) : '—'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <Button priority="secondary" disabled={busy} onClick={() => void load(applied, cursor)}>
          Afficher les événements plus anciens
        </Button>
      ) : null}
    </>
  );
}
