/**
 * Counting characters as a person does, and as the messages service does: the text is trimmed,
 * normalised to NFC, then split into grapheme clusters (one emoji, one accented letter: one
 * character each). The service refuses what this counter refuses, and accepts what it accepts.
 */

export const MESSAGE_MIN_CHARACTERS = 10;
export const MESSAGE_MAX_CHARACTERS = 750;
export const REPLY_MAX_CHARACTERS = 5000;

let segmenter: Intl.Segmenter | undefined;

export function countCharacters(text: string): number {
  const normalised = text.trim().normalize('NFC');
  if (normalised === '') return 0;
  segmenter ??= new Intl.Segmenter('fr', { granularity: 'grapheme' });
  let count = 0;
  for (const _ of segmenter.segment(normalised)) count += 1;
  return count;
}

const numbers = new Intl.NumberFormat('fr-FR');

/** "750 caractères restants." — the seed's wording, negative when the text is too long. */
export function remainingLabel(remaining: number): string {
  if (remaining < 0) {
    const over = -remaining;
    return `${numbers.format(over)} caractère${over > 1 ? 's' : ''} en trop : raccourcissez votre message.`;
  }
  return `${numbers.format(remaining)} caractère${remaining > 1 ? 's' : ''} restant${remaining > 1 ? 's' : ''}.`;
}

/** The remaining counts at which the live region speaks right away instead of waiting. */
export const ANNOUNCED_THRESHOLDS = [100, 50, 20, 10, 0] as const;

export function crossedThreshold(previous: number, current: number): boolean {
  if (current < 0 && previous >= 0) return true;
  return ANNOUNCED_THRESHOLDS.some(
    (threshold) => (previous > threshold && current <= threshold) || (previous <= threshold && current > threshold),
  );
}

/** The error shown for a message whose length is out of bounds, or null when it is fine. */
export function messageLengthError(text: string): string | null {
  const count = countCharacters(text);
  if (count === 0) return 'Écrivez votre message (au moins 10 caractères).';
  if (count < MESSAGE_MIN_CHARACTERS) {
    const missing = MESSAGE_MIN_CHARACTERS - count;
    return `Votre message est trop court : ajoutez au moins ${missing} caractère${missing > 1 ? 's' : ''} (minimum 10).`;
  }
  if (count > MESSAGE_MAX_CHARACTERS) {
    const over = count - MESSAGE_MAX_CHARACTERS;
    return `Votre message dépasse 750 caractères : retirez-en ${over}.`;
  }
  return null;
}
