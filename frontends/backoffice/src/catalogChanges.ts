import type { CatalogChange } from './types';

/** One difference between two catalog versions, as the catalog service describes it: a kind
 * newer than this page is still described (« … modifié »), and `before`/`after` are read only
 * for the kinds that have them. */
export type DescribedChange = Omit<CatalogChange, 'kind' | 'before' | 'after'> &
  Partial<Pick<CatalogChange, 'before' | 'after'>> & { kind: CatalogChange['kind'] | (string & {}) };

const LEVEL: Record<string, string> = { theme: 'Thème', subject: 'Sujet', motif: 'Motif' };

function days(value: unknown): string {
  return typeof value === 'number' ? `${value} jour${value > 1 ? 's' : ''} ouvré${value > 1 ? 's' : ''}` : '-';
}

function plain(value: unknown): string {
  return value === null || value === undefined || value === '' ? 'aucune' : String(value);
}

/** The change in a French sentence, for the admins who publish and read the history. */
export function describeChange(change: DescribedChange): string {
  const node = `${LEVEL[change.level ?? ''] ?? 'Élément'} « ${change.label} »`;
  switch (change.kind) {
    case 'added':
      return `${node} ajouté`;
    case 'removed':
      return `${node} retiré`;
    case 'renamed':
      return `${LEVEL[change.level ?? ''] ?? 'Élément'} « ${String(change.before)} » renommé « ${String(change.after)} »`;
    case 'moved':
      return `${node} déplacé de « ${plain(change.before)} » vers « ${plain(change.after)} »`;
    case 'reordered':
      return change.code === null ? 'Ordre des thèmes modifié' : `Ordre modifié sous ${node.charAt(0).toLowerCase()}${node.slice(1)}`;
    case 'activated':
      return `${node} réactivé`;
    case 'deactivated':
      return `${node} désactivé`;
    case 'skill_changed':
      return `${node} : compétence « ${plain(change.before)} » remplacée par « ${plain(change.after)} »`;
    case 'response_time_changed':
      return `${node} : délai de réponse de ${days(change.before)} porté à ${days(change.after)}`;
    case 'online_service_added':
      return `${node} : service en ligne ajouté`;
    case 'online_service_changed':
      return `${node} : service en ligne modifié`;
    case 'online_service_removed':
      return `${node} : service en ligne retiré`;
    default:
      return `${node} modifié`;
  }
}
