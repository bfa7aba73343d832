import { describe, expect, it } from 'vitest';
import { defaultSkillFilter, handles, skillFilterFromParam, skillLabel, skillParam, skillQuery, warningsOf } from './routing';

const THEMES = [
  { code: 'famille', label: 'Famille, Allocations familiales, aides au logement' },
  { code: 'sante', label: 'Santé, Carte Vitale, remboursements, CMU, invalidité...' },
];

describe('the skill filter of the queue', () => {
  it('opens on « Mes compétences » for an agent with skills, on « Toutes » otherwise', () => {
    expect(defaultSkillFilter(['famille'])).toBe('mine');
    expect(defaultSkillFilter([])).toBe('all');
    expect(skillFilterFromParam(null, ['famille'])).toBe('mine');
    expect(skillFilterFromParam(null, [])).toBe('all');
  });

  it('follows the address when it names a filter, whatever the default', () => {
    expect(skillFilterFromParam('toutes', ['famille'])).toBe('all');
    expect(skillFilterFromParam('miennes', [])).toBe('mine');
    expect(skillFilterFromParam('autre chose', ['famille'])).toBe('mine');
  });

  it('writes the filter in the address only when it is not the default, and reads it back', () => {
    expect(skillParam('mine', ['famille'])).toBeNull();
    expect(skillParam('all', ['famille'])).toBe('toutes');
    expect(skillParam('all', [])).toBeNull();
    expect(skillParam('mine', [])).toBe('miennes');
    for (const skills of [['famille'], []]) {
      for (const filter of ['mine', 'all'] as const) {
        expect(skillFilterFromParam(skillParam(filter, skills), skills)).toBe(filter);
      }
    }
  });

  it('looks through every skill when searching by reference, for every agent', () => {
    expect(defaultSkillFilter(['famille'], true)).toBe('all');
    expect(skillFilterFromParam(null, ['famille'], true)).toBe('all');
    expect(skillFilterFromParam('miennes', ['famille'], true)).toBe('mine');
    expect(skillParam('all', ['famille'], true)).toBeNull();
    expect(skillParam('mine', ['famille'], true)).toBe('miennes');
  });

  it('asks the API for skill=mine, or for every skill', () => {
    expect(skillQuery('mine')).toBe('mine');
    expect(skillQuery('all')).toBeUndefined();
  });
});

describe('a skill in French', () => {
  it('is the label of the theme of the same code', () => {
    expect(skillLabel('famille', THEMES)).toBe('Famille, Allocations familiales, aides au logement');
  });

  it('falls back to the code for a skill that is no theme, and says when none is known', () => {
    expect(skillLabel('recouvrement', THEMES)).toBe('recouvrement');
    expect(skillLabel(null, THEMES)).toBe('Non renseignée');
    expect(skillLabel('famille', [])).toBe('famille');
  });
});

describe('routing warnings', () => {
  it('are read from a claim or an assignment answer', () => {
    const warning = { code: 'assignee-outside-skills', message: 'Inès MOREAU n’a pas la compétence « Famille »…' };
    expect(warningsOf({ id: 'x', warnings: [warning] })).toEqual([warning]);
    expect(warningsOf({ id: 'x', warnings: [] })).toEqual([]);
  });

  it('are none when the answer has none or is not what is expected', () => {
    expect(warningsOf({ id: 'x' })).toEqual([]);
    expect(warningsOf(undefined)).toEqual([]);
    expect(warningsOf({ warnings: [{ code: 1 }, 'text'] })).toEqual([]);
  });

  it('come from a thread outside the agent’s skills; a thread without a skill fits anyone', () => {
    expect(handles(['famille', 'sante'], 'famille')).toBe(true);
    expect(handles(['sante'], 'famille')).toBe(false);
    expect(handles([], null)).toBe(true);
    expect(handles(undefined, 'famille')).toBe(false);
  });
});
