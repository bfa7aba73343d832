/**
 * The catalog editor (admins): the draft as a tree, edits go to the draft (each sent with the
 * draft's revision in If-Match, so two admins never overwrite each other), "Publier" makes the
 * next version, which the messages service and the portal pick up.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Alert, Button, Checkbox, ErrorSummary, Input, Loading, PageHeading, Textarea, api, describeError, formatDateTime, useDocumentTitle } from '@mes-messages/shared';
import { APP_TITLE } from '../App';
import { describeChange } from '../catalogChanges';
import type {
  CatalogChange,
  CatalogChanges,
  CatalogDraft as Draft,
  CatalogNode as DraftNode,
  CatalogVersion as Version,
  CatalogVersions,
  OnlineServiceChange,
} from '../types';

type Level = 'theme' | 'subject' | 'motif';

function children(node: DraftNode): DraftNode[] {
  if ('subjects' in node) return node.subjects;
  if ('motifs' in node) return node.motifs;
  return [];
}

export function CatalogPage() {
  useDocumentTitle('Catalogue', APP_TITLE);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [selected, setSelected] = useState<{ node: DraftNode; level: Level } | null>(null);
  const [adding, setAdding] = useState<{ parent: string | null; level: Level } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const panel = useRef<HTMLHeadingElement>(null);

  async function load() {
    try {
      setDraft(await api.get<Draft>('/api/catalog/admin/draft'));
      setVersions((await api.get<CatalogVersions>('/api/catalog/admin/versions')).data);
    } catch (error) {
      setFailure(describeError(error));
    }
  }
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (selected || adding) panel.current?.focus();
  }, [selected, adding]);

  const ifMatch = () => ({ 'If-Match': `"draft-${draft?.revision ?? 0}"` });

  async function run<T>(what: () => Promise<T>, done: string | ((result: T) => string)) {
    setFailure(null);
    setNotice(null);
    try {
      const result = await what();
      setNotice(typeof done === 'function' ? done(result) : done);
      setSelected(null);
      setAdding(null);
      await load();
    } catch (error) {
      setFailure(describeError(error));
      await load();
    }
  }

  function NodeItem({ node, level }: { node: DraftNode; level: Level }) {
    const sub = children(node);
    const nextLevel: Level | null = level === 'theme' ? 'subject' : level === 'subject' ? 'motif' : null;
    return (
      <li>
        <span className={node.active ? undefined : 'fr-text--mention'}>
          {node.label} <code>{node.code}</code>
          {node.active ? '' : ' (désactivé)'}
          {node.online_service ? ` - service en ligne : ${node.online_service.title}` : ''}
        </span>{' '}
        <Button priority="tertiary-no-outline" size="sm" onClick={() => setSelected({ node, level })}>
          Modifier<span className="fr-sr-only"> « {node.label} »</span>
        </Button>
        {nextLevel ? (
          <Button priority="tertiary-no-outline" size="sm" onClick={() => setAdding({ parent: node.code, level: nextLevel })}>
            Ajouter {nextLevel === 'subject' ? 'un sujet' : 'un motif'}
            <span className="fr-sr-only"> à « {node.label} »</span>
          </Button>
        ) : null}
        {sub.length ? (
          <ul>
            {sub.map((child) => (
              <NodeItem key={child.code} node={child} level={nextLevel!} />
            ))}
          </ul>
        ) : null}
      </li>
    );
  }

  if (!draft) return failure ? <Alert severity="error">{failure}</Alert> : <Loading />;
  return (
    <>
      <PageHeading>Catalogue</PageHeading>
      <p>
        Brouillon révision {draft.revision}, fondé sur la version publiée {draft.based_on_version ?? 'aucune'}. Les modifications
        restent dans le brouillon jusqu’à la publication.
      </p>
      {notice ? <Alert severity="success" small live="polite" className="fr-mb-3w">{notice}</Alert> : null}
      {failure ? <Alert severity="error" small live="assertive" className="fr-mb-3w">{failure}</Alert> : null}
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-7">
          <h2>Arborescence</h2>
          <Button priority="secondary" size="sm" onClick={() => setAdding({ parent: null, level: 'theme' })}>
            Ajouter un thème
          </Button>
          <ul>
            {draft.themes.map((theme) => (
              <NodeItem key={theme.code} node={theme} level="theme" />
            ))}
          </ul>
        </div>
        <div className="fr-col-12 fr-col-lg-5">
          {selected ? (
            <NodeEditor
              key={selected.node.code}
              headingRef={panel}
              node={selected.node}
              level={selected.level}
              onCancel={() => setSelected(null)}
              onSave={(changes, service) =>
                void run(async () => {
                  if (Object.keys(changes).length) await api.patch(`/api/catalog/admin/nodes/${selected.node.code}`, changes, { headers: ifMatch() });
                  if (service === null && selected.node.online_service) {
                    const fresh = await api.get<Draft>('/api/catalog/admin/draft');
                    await api.delete(`/api/catalog/admin/nodes/${selected.node.code}/online-service`, { headers: { 'If-Match': `"draft-${fresh.revision}"` } });
                  } else if (service) {
                    const fresh = await api.get<Draft>('/api/catalog/admin/draft');
                    await api.put(`/api/catalog/admin/nodes/${selected.node.code}/online-service`, service, { headers: { 'If-Match': `"draft-${fresh.revision}"` } });
                  }
                }, `« ${selected.node.label} » est modifié dans le brouillon.`)
              }
            />
          ) : null}
          {adding ? (
            <NodeCreator
              headingRef={panel}
              level={adding.level}
              onCancel={() => setAdding(null)}
              onSave={(body) => void run(() => api.post('/api/catalog/admin/nodes', { ...body, parent: adding.parent }, { headers: ifMatch() }), `« ${body.label} » est ajouté au brouillon.`)}
            />
          ) : null}
          <h2 className="fr-mt-4w">Ce que la publication changera</h2>
          {draft.changes.length ? (
            <ul id="changements">
              {draft.changes.map((change, index) => (
                <li key={`${change.kind}-${change.code}-${index}`}>{describeChange(change)}</li>
              ))}
            </ul>
          ) : (
            <p>Aucun changement depuis la dernière version.</p>
          )}
          <Button
            disabled={!draft.changes.length}
            onClick={() =>
              void run(
                () => api.post<Version>('/api/catalog/admin/publish', undefined, { headers: ifMatch() }),
                (published) => `Version ${published.version} publiée.`,
              )
            }
          >
            Publier
          </Button>
          <h2 className="fr-mt-4w">Versions publiées</h2>
          <p className="fr-hint-text">Ouvrez une version pour voir ce qu’elle a changé.</p>
          <ul id="versions">
            {versions.map((version) => (
              <VersionItem key={version.version} version={version} />
            ))}
          </ul>
        </div>
      </div>
    </>
  );
}

/** One published version; its changes are fetched the first time it is opened. */
function VersionItem({ version }: { version: Version }) {
  const [changes, setChanges] = useState<CatalogChange[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  async function loadChanges() {
    try {
      setFailure(null);
      setChanges((await api.get<CatalogChanges>(`/api/catalog/admin/versions/${version.version}/changes`)).data);
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  return (
    <li>
      <details
        onToggle={(event) => {
          if (event.currentTarget.open && changes === null) void loadChanges();
        }}
      >
        <summary>
          Version {version.version}, le {formatDateTime(version.published_at)} ({version.change_count} changement{version.change_count > 1 ? 's' : ''})
        </summary>
        {failure ? (
          <p className="fr-error-text">{failure}</p>
        ) : changes === null ? (
          <p>Chargement des changements…</p>
        ) : changes.length ? (
          <ul>
            {changes.map((change, index) => (
              <li key={`${change.kind}-${change.code}-${index}`}>{describeChange(change)}</li>
            ))}
          </ul>
        ) : (
          <p>Aucun changement.</p>
        )}
      </details>
    </li>
  );
}

function NodeEditor({
  node,
  level,
  onSave,
  onCancel,
  headingRef,
}: {
  node: DraftNode;
  level: Level;
  onSave: (changes: Record<string, unknown>, service: OnlineServiceChange | null | undefined) => void;
  onCancel: () => void;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
}) {
  const [label, setLabel] = useState(node.label);
  const [active, setActive] = useState(node.active);
  const responseTimeDays = 'response_time_days' in node ? node.response_time_days : undefined;
  const [days, setDays] = useState(String(responseTimeDays ?? ''));
  const [hasService, setHasService] = useState(Boolean(node.online_service));
  const [title, setTitle] = useState(node.online_service?.title ?? '');
  const [description, setDescription] = useState(node.online_service?.description ?? '');
  const [url, setUrl] = useState(node.online_service?.url ?? '');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const local = [];
    if (!label.trim()) local.push({ fieldId: 'libelle', message: 'Le libellé ne peut pas être vide.' });
    if (hasService && !title.trim()) local.push({ fieldId: 'service-titre', message: 'Donnez un titre au service en ligne.' });
    if (hasService && !/^https?:\/\/\S+$/.test(url.trim())) local.push({ fieldId: 'service-adresse', message: 'Saisissez une adresse complète, commençant par https://.' });
    if (level === 'motif' && !/^\d+$/.test(days)) local.push({ fieldId: 'delai', message: 'Saisissez un nombre de jours ouvrés.' });
    setErrors(local);
    if (local.length) return;
    const changes: Record<string, unknown> = {};
    if (label.trim() !== node.label) changes.label = label.trim();
    if (active !== node.active) changes.active = active;
    if (level === 'motif' && Number(days) !== responseTimeDays) changes.response_time_days = Number(days);
    let service: OnlineServiceChange | null | undefined;
    if (!hasService) service = node.online_service ? null : undefined;
    else if (title !== node.online_service?.title || description !== (node.online_service?.description ?? '') || url !== node.online_service?.url)
      service = { title: title.trim(), description, url: url.trim() };
    onSave(changes, service);
  }
  const errorFor = (id: string) => errors.find((error) => error.fieldId === id)?.message;
  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w">
      <h2 tabIndex={-1} ref={headingRef}>
        Modifier « {node.label} »
      </h2>
      <ErrorSummary errors={errors} />
      <Input id="libelle" label="Libellé" value={label} onChange={(event) => setLabel(event.target.value)} error={errorFor('libelle')} />
      {level === 'motif' ? <Input id="delai" label="Délai de réponse (jours ouvrés)" inputMode="numeric" value={days} onChange={(event) => setDays(event.target.value)} error={errorFor('delai')} /> : null}
      <Checkbox id="actif" label="Proposé aux adhérents (actif)" checked={active} onChange={setActive} />
      <Checkbox id="service" label="Proposer un service en ligne" checked={hasService} onChange={setHasService} />
      {hasService ? (
        <>
          <Input id="service-titre" label="Titre du service en ligne" value={title} onChange={(event) => setTitle(event.target.value)} error={errorFor('service-titre')} />
          <Textarea id="service-description" label="Description" rows={3} value={description} onChange={(event) => setDescription(event.target.value)} />
          <Input id="service-adresse" label="Adresse par défaut" hint="Les adresses propres à une caisse sont conservées." type="url" value={url} onChange={(event) => setUrl(event.target.value)} error={errorFor('service-adresse')} />
        </>
      ) : null}
      <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
        <li>
          <Button priority="secondary" onClick={onCancel}>
            Annuler
          </Button>
        </li>
        <li>
          <Button type="submit">Enregistrer dans le brouillon</Button>
        </li>
      </ul>
    </form>
  );
}

function NodeCreator({
  level,
  onSave,
  onCancel,
  headingRef,
}: {
  level: Level;
  onSave: (body: { code: string; label: string; response_time_days?: number }) => void;
  onCancel: () => void;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
}) {
  const [code, setCode] = useState('');
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('5');
  const [errors, setErrors] = useState<{ fieldId: string; message: string }[]>([]);
  function submit(event: FormEvent) {
    event.preventDefault();
    const local = [];
    if (!/^[a-z0-9][a-z0-9-]*$/.test(code)) local.push({ fieldId: 'nouveau-code', message: 'Le code s’écrit en minuscules, chiffres et tirets, par exemple famille-logement.' });
    if (!label.trim()) local.push({ fieldId: 'nouveau-libelle', message: 'Saisissez le libellé.' });
    if (level === 'motif' && !/^\d+$/.test(days)) local.push({ fieldId: 'nouveau-delai', message: 'Saisissez un nombre de jours ouvrés.' });
    setErrors(local);
    if (local.length) return;
    onSave({ code, label: label.trim(), ...(level === 'motif' ? { response_time_days: Number(days) } : {}) });
  }
  const errorFor = (id: string) => errors.find((error) => error.fieldId === id)?.message;
  const what = level === 'theme' ? 'un thème' : level === 'subject' ? 'un sujet' : 'un motif';
  return (
    <form onSubmit={submit} noValidate className="fr-mb-4w">
      <h2 tabIndex={-1} ref={headingRef}>
        Ajouter {what}
      </h2>
      <ErrorSummary errors={errors} />
      <Input id="nouveau-code" label="Code" hint="Unique, stable : il ne change plus ensuite." value={code} onChange={(event) => setCode(event.target.value)} error={errorFor('nouveau-code')} />
      <Input id="nouveau-libelle" label="Libellé" value={label} onChange={(event) => setLabel(event.target.value)} error={errorFor('nouveau-libelle')} />
      {level === 'motif' ? <Input id="nouveau-delai" label="Délai de réponse (jours ouvrés)" inputMode="numeric" value={days} onChange={(event) => setDays(event.target.value)} error={errorFor('nouveau-delai')} /> : null}
      <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
        <li>
          <Button priority="secondary" onClick={onCancel}>
            Annuler
          </Button>
        </li>
        <li>
          <Button type="submit">Ajouter au brouillon</Button>
        </li>
      </ul>
    </form>
  );
}
