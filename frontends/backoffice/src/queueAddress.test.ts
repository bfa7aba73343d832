import { describe, expect, it } from 'vitest';
import { apiQuery, defaultFilters, narrowsSearch, queueSearch, queueView, referenceSearch } from './queueAddress';

const SKILLED = ['famille', 'sante'];
const view = (search: string, skills: string[] = SKILLED) => queueView(new URLSearchParams(search), skills);

describe('the queue’s address', () => {
  it('opens the queue on the open threads and the agent’s skills', () => {
    expect(view('')).toEqual({ reference: null, filters: defaultFilters(SKILLED, false) });
    expect(view('').filters).toMatchObject({ skills: 'mine', status: 'open', assigned: 'any' });
    expect(view('', []).filters.skills).toBe('all');
    expect(queueSearch(view(''), SKILLED)).toBe('');
  });

  it('reads the filters back as it writes them', () => {
    for (const search of ['?competences=toutes&statut=closed', '?attribution=me&retard=1&relance=1&theme=famille&sujet=famille-allocations&motif=af-autre', '?statut=all']) {
      expect(queueSearch(view(search), SKILLED)).toBe(search);
    }
  });
});

describe('a search by reference', () => {
  it('looks through every status and every skill of the fund by default', () => {
    const search = view('?reference=NPC-2026-000123');
    expect(search.reference).toBe('NPC-2026-000123');
    expect(search.filters).toEqual(defaultFilters([], true));
    expect(search.filters).toMatchObject({ skills: 'all', status: 'all' });
    expect(narrowsSearch(search.filters)).toBe(false);
    expect(apiQuery(search, null)).toMatchObject({ reference: 'NPC-2026-000123', status: 'all', skill: undefined, assigned: 'any' });
  });

  it('starts again from the whole fund, whatever the filters were', () => {
    expect(referenceSearch('NPC-2026-000123', SKILLED)).toBe('?reference=NPC-2026-000123');
    expect(referenceSearch('NPC-2026-000123', [])).toBe('?reference=NPC-2026-000123');
  });

  it('is narrowed by the filters chosen while searching, which stay in the address', () => {
    const narrowed = view('?reference=NPC-2026-000123&competences=miennes&statut=open');
    expect(narrowed.filters).toMatchObject({ skills: 'mine', status: 'open' });
    expect(narrowsSearch(narrowed.filters)).toBe(true);
    expect(apiQuery(narrowed, null)).toMatchObject({ reference: 'NPC-2026-000123', skill: 'mine', status: 'open' });
    expect(queueSearch(narrowed, SKILLED)).toBe('?reference=NPC-2026-000123&competences=miennes&statut=open');
    expect(queueSearch(narrowed, [])).toBe('?reference=NPC-2026-000123&competences=miennes&statut=open');
  });

  it('is no search when the reference is blank', () => {
    expect(view('?reference=%20%20').reference).toBeNull();
    expect(view('?reference=').filters.status).toBe('open');
  });

  it('leaves the queue’s own filters out of the API query when there is no reference', () => {
    expect(apiQuery(view(''), 'curseur')).toMatchObject({ reference: undefined, skill: 'mine', status: 'open', cursor: 'curseur', limit: 25 });
  });
});
