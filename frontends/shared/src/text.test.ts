import { describe, expect, it } from 'vitest';
import { countCharacters, crossedThreshold, messageLengthError, remainingLabel } from './text';

describe('countCharacters counts as a person (and the messages service) does', () => {
  it('trims the text first', () => {
    expect(countCharacters('   Bonjour   ')).toBe(7);
    expect(countCharacters(' \n\t ')).toBe(0);
  });
  it('counts one emoji as one character, even a family or a flag', () => {
    expect(countCharacters('👍')).toBe(1);
    expect(countCharacters('👨‍👩‍👧')).toBe(1);
    expect(countCharacters('🇫🇷')).toBe(1);
  });
  it('counts an accented letter once, composed or not', () => {
    expect(countCharacters('é')).toBe(1);
    expect(countCharacters('e\u0301')).toBe(1);
  });
  it('keeps line breaks as characters inside the text', () => {
    expect(countCharacters('a\nb')).toBe(3);
  });
});

describe('the seed wording', () => {
  it('says "750 caractères restants." for an empty message', () => {
    expect(remainingLabel(750)).toBe('750 caractères restants.');
    expect(remainingLabel(1)).toBe('1 caractère restant.');
    expect(remainingLabel(0)).toBe('0 caractère restant.');
    expect(remainingLabel(5000)).toBe('5\u202f000 caractères restants.');
  });
  it('warns past the limit', () => {
    expect(remainingLabel(-1)).toBe('1 caractère en trop : raccourcissez votre message.');
  });
});

describe('messageLengthError at the boundaries', () => {
  it('refuses 9 characters and accepts 10', () => {
    expect(messageLengthError('a'.repeat(9))).toMatch(/trop court/);
    expect(messageLengthError('a'.repeat(10))).toBeNull();
  });
  it('accepts 750 characters and refuses 751', () => {
    expect(messageLengthError('a'.repeat(750))).toBeNull();
    expect(messageLengthError('a'.repeat(751))).toMatch(/dépasse 750/);
  });
  it('refuses only spaces', () => {
    expect(messageLengthError('          ')).toMatch(/Écrivez votre message/);
  });
});

describe('crossedThreshold decides when the live region speaks at once', () => {
  it('speaks when 100, 50, 20, 10 or 0 is crossed, and when going over the limit', () => {
    expect(crossedThreshold(101, 100)).toBe(true);
    expect(crossedThreshold(11, 10)).toBe(true);
    expect(crossedThreshold(0, -1)).toBe(true);
    expect(crossedThreshold(300, 299)).toBe(false);
  });
});
