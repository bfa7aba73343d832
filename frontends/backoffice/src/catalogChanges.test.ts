import { describe, expect, it } from 'vitest';
import { describeChange } from './catalogChanges';

describe('a catalog change in French', () => {
  it('names the node by its level and label', () => {
    expect(describeChange({ kind: 'added', code: 'af-essai', level: 'motif', label: 'Mon essai', after: 'famille-allocations' })).toBe(
      'Motif « Mon essai » ajouté',
    );
    expect(describeChange({ kind: 'deactivated', code: 'famille', level: 'theme', label: 'Famille' })).toBe('Thème « Famille » désactivé');
  });

  it('gives both labels of a rename and both values of a new target', () => {
    expect(describeChange({ kind: 'renamed', code: 'af-autre', level: 'motif', label: 'Autre question', before: 'Autre', after: 'Autre question' })).toBe(
      'Motif « Autre » renommé « Autre question »',
    );
    expect(describeChange({ kind: 'response_time_changed', code: 'af-autre', level: 'motif', label: 'Autre', before: 1, after: 5 })).toBe(
      'Motif « Autre » : délai de réponse de 1 jour ouvré porté à 5 jours ouvrés',
    );
  });

  it('says whose children were reordered, the themes included', () => {
    expect(describeChange({ kind: 'reordered', code: null, level: null, label: 'Thèmes', before: ['a', 'b'], after: ['b', 'a'] })).toBe('Ordre des thèmes modifié');
    expect(describeChange({ kind: 'reordered', code: 'famille', level: 'theme', label: 'Famille', before: [], after: [] })).toBe(
      'Ordre modifié sous thème « Famille »',
    );
  });

  it('never shows a raw kind', () => {
    expect(describeChange({ kind: 'something_new', code: 'x', level: 'subject', label: 'X' })).toBe('Sujet « X » modifié');
  });
});
