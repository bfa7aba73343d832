import { ApiError } from '@mes-messages/shared';
import { describe, expect, it } from 'vitest';
import { loginFailure } from './login';

describe('the login failure', () => {
  it('says that the number or the password is wrong, not that a session expired', () => {
    const refused = new ApiError(401, {
      type: 'https://mes-messages.msa.fr/problems/invalid-credentials',
      status: 401,
      detail: 'Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie.',
    });
    expect(loginFailure(refused)).toBe('Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie.');
  });

  it('says when to retry after too many tries', () => {
    const throttled = new ApiError(429, { status: 429, detail: 'Trop de tentatives : réessayez dans 4 secondes.' });
    expect(loginFailure(throttled)).toBe('Trop de tentatives : réessayez dans 4 secondes.');
  });

  it('falls back to the usual wording without a detail', () => {
    expect(loginFailure(new ApiError(401, { status: 401 }))).toBe('Votre session a expiré : reconnectez-vous.');
    expect(loginFailure(new Error('network'))).toBe('Une erreur inattendue est survenue. Réessayez dans quelques instants.');
  });
});
