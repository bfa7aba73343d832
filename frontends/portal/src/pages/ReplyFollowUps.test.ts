import { describe, expect, it } from 'vitest';
import { commentError, explanationError } from './ReplyFollowUps';

describe('« Je n’ai pas compris la réponse »', () => {
  it('accepts no explanation at all', () => {
    expect(explanationError('')).toBeNull();
    expect(explanationError('   \n ')).toBeNull();
  });

  it('holds a given explanation to the rules of a message (10 to 750 characters)', () => {
    expect(explanationError('Hein ?')).toMatch(/trop court/);
    expect(explanationError('Je ne comprends pas quel document envoyer.')).toBeNull();
    expect(explanationError('a'.repeat(751))).toMatch(/dépasse 750 caractères : retirez-en 1/);
  });
});

describe('« Cette réponse vous a-t-elle aidé ? »', () => {
  it('allows a comment of up to 300 characters, or none', () => {
    expect(commentError('')).toBeNull();
    expect(commentError('é'.repeat(300))).toBeNull();
    expect(commentError('x'.repeat(302))).toBe('Votre commentaire dépasse 300 caractères : retirez-en 2.');
  });
});
