import { describe, expect, it } from 'vitest';
import { REFERENCE_INVALID, REFERENCE_MISSING, parisYear, searchOutcome, typedReference } from './referenceSearch';

const whole = (typed: string) => typedReference(typed, 'NPC', 2026);

describe('a reference as an agent types it', () => {
  it('is the whole reference, whatever the case, the spaces around and between its parts', () => {
    for (const typed of ['NPC-2026-000123', 'npc-2026-000123', '  NPC-2026-000123  ', 'NPC 2026 000123', 'NPC2026-000123', 'NPC – 2026 – 000123', '\u00a0NPC-2026-000123\u00a0']) {
      expect(whole(typed), typed).toEqual({ reference: 'NPC-2026-000123' });
    }
  });

  it('keeps the fund it names, even another one: the service then finds nothing', () => {
    expect(whole('cno-2026-000123')).toEqual({ reference: 'CNO-2026-000123' });
  });

  it('is the agent’s fund for a year and a number, and this year for a number alone', () => {
    expect(whole('2025-000123')).toEqual({ reference: 'NPC-2025-000123' });
    expect(whole('2025 123')).toEqual({ reference: 'NPC-2025-000123' });
    expect(whole('000123')).toEqual({ reference: 'NPC-2026-000123' });
    expect(whole('123')).toEqual({ reference: 'NPC-2026-000123' });
    expect(whole('0000123')).toEqual({ reference: 'NPC-2026-000123' });
    expect(typedReference('42', 'CNO', 2027)).toEqual({ reference: 'CNO-2027-000042' });
  });

  it('keeps numbers past 999 999 whole', () => {
    expect(whole('NPC-2026-1234567')).toEqual({ reference: 'NPC-2026-1234567' });
    expect(whole('1234567')).toEqual({ reference: 'NPC-2026-1234567' });
  });

  it('asks for a reference when nothing is typed', () => {
    expect(whole('')).toEqual({ error: REFERENCE_MISSING });
    expect(whole('   ')).toEqual({ error: REFERENCE_MISSING });
  });

  it('says what to type for anything else', () => {
    for (const typed of [
      'NPC',
      'NPC-2026',
      'NPC-000123',
      'NPC-26-000123',
      'NPC/2026/000123',
      'NPC_2026_000123',
      'NPCX-2026-000123',
      'dossier 123',
      '123 456',
      '2026000123',
      'NPC-2026-000123-1',
      '٣٤٥',
      `NPC-2026-${'0'.repeat(40)}123`,
    ]) {
      expect(whole(typed), typed).toEqual({ error: REFERENCE_INVALID });
    }
  });

  it('takes the year of the day in Europe/Paris', () => {
    expect(parisYear('2027-01-01')).toBe(2027);
  });
});

describe('what a search found, in words', () => {
  it('names the reference found', () => {
    expect(searchOutcome(1, 'NPC-2026-000123', false)).toBe('Une demande porte la référence NPC-2026-000123.');
  });

  it('says no thread of the fund has it, or none among the filtered ones', () => {
    expect(searchOutcome(0, 'CNO-2026-000123', false)).toBe('Aucune demande de votre caisse ne porte cette référence. Référence cherchée : CNO-2026-000123.');
    expect(searchOutcome(0, 'NPC-2026-000123', true)).toBe(
      'Aucune demande ne porte cette référence parmi celles que retiennent vos filtres. Référence cherchée : NPC-2026-000123.',
    );
  });
});
