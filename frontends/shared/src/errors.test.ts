import { describe, expect, it } from 'vitest';
import { ApiError, describeError } from './api';

describe('describeError', () => {
  it('says that the number or the password is wrong, not that a session expired', () => {
    const refused = new ApiError(401, {
      type: 'https://mes-messages.msa.fr/problems/invalid-credentials',
      status: 401,
      detail: 'Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie.',
    });
    expect(describeError(refused)).toBe('Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie.');
  });

  it('says the session expired when the session is what is missing', () => {
    const stale = new ApiError(401, {
      type: 'https://mes-messages.msa.fr/problems/unauthenticated',
      status: 401,
      detail: "Votre session a expiré ou n'est pas valide : reconnectez-vous.",
    });
    expect(describeError(stale)).toBe('Votre session a expiré : reconnectez-vous.');
    expect(describeError(new ApiError(401, { status: 401 }))).toBe('Votre session a expiré : reconnectez-vous.');
  });

  it('says when to retry after too many tries', () => {
    const throttled = new ApiError(429, { status: 429, detail: 'Trop de tentatives : réessayez dans 4 secondes.' });
    expect(describeError(throttled)).toBe('Trop de tentatives : réessayez dans 4 secondes.');
  });

  it('falls back to a general wording for what is not an answer of ours', () => {
    expect(describeError(new Error('network'))).toBe('Une erreur inattendue est survenue. Réessayez dans quelques instants.');
  });
});
