/**
 * Finding a thread by its reference, as an agent types it while the member reads it out on the
 * phone (the same rules as the messages service's `domain/references.py`).
 *
 * A reference is `<FUND>-<YEAR>-<NUMBER>` (`NPC-2026-000123`). The agent may type the whole
 * reference (any case, spaces or dashes between the parts), the year and the number
 * (`2026-000123`: the agent's fund) or the number alone (`000123`, `123`: the agent's fund and
 * the current year in Europe/Paris; last year's needs its year). What is typed becomes one
 * whole reference, looked up exactly among the threads of the agent's fund: another fund's
 * reference finds nothing, like one nobody has.
 */

const SEPARATOR = '[\\s\\-\\u2010-\\u2015\\u2212]';
/** `[FUND] YEAR NUMBER`, `YEAR NUMBER` or `NUMBER` (a fund without a year is not one). */
const TYPED = new RegExp(`^(?:(?:([A-Z]{3})${SEPARATOR}*)?([0-9]{4})${SEPARATOR}+)?([0-9]{1,9})$`);

/** The longest text the service reads. */
export const REFERENCE_MAX_LENGTH = 40;

export const REFERENCE_HINT = 'Par exemple NPC-2026-000123. Le numéro seul (000123) cherche parmi les demandes de cette année.';
export const REFERENCE_MISSING = 'Saisissez la référence de la demande, par exemple NPC-2026-000123.';
export const REFERENCE_INVALID =
  'Cette référence n’a pas la forme attendue : saisissez par exemple NPC-2026-000123, ou son numéro : 2026-000123, ou 000123 pour une demande de cette année.';

export type TypedReference = { reference: string } | { error: string };

/** The whole reference an agent of `fund` means by `typed` in `year`, or what to type instead. */
export function typedReference(typed: string, fund: string, year: number): TypedReference {
  const text = typed.trim().toUpperCase();
  if (!text) return { error: REFERENCE_MISSING };
  const match = text.length <= REFERENCE_MAX_LENGTH ? TYPED.exec(text) : null;
  if (!match) return { error: REFERENCE_INVALID };
  const [, typedFund, typedYear, number] = match;
  const whole = `${typedFund ?? fund}-${typedYear ?? String(year).padStart(4, '0')}-${String(Number(number)).padStart(6, '0')}`;
  return { reference: whole };
}

/** The current year in Europe/Paris (a number typed alone belongs to it). */
export function parisYear(today: string): number {
  return Number(today.slice(0, 4));
}

/**
 * What a search by reference found, in words (a status message, read when it changes). It
 * names the reference searched: the field may already hold something else.
 */
export function searchOutcome(found: number, reference: string, narrowed: boolean): string {
  if (found === 1) return `Une demande porte la référence ${reference}.`;
  if (found > 1) return `${found} demandes portent la référence ${reference}.`;
  const none = narrowed
    ? 'Aucune demande ne porte cette référence parmi celles que retiennent vos filtres.'
    : 'Aucune demande de votre caisse ne porte cette référence.';
  return `${none} Référence cherchée : ${reference}.`;
}
