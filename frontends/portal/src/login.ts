import { ApiError, describeError } from '@mes-messages/shared';

/**
 * What the login form says when the login is refused. A refused login answers 401 with its
 * own French detail (« Numéro de sécurité sociale ou mot de passe incorrect … »), which the
 * generic wording of a 401 (« Votre session a expiré ») would hide from the person.
 */
export function loginFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401 && error.problem.detail) return error.problem.detail;
  return describeError(error);
}
