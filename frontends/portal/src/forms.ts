import { ApiError } from '@mes-messages/shared';

export type FieldErrors = Record<string, string>;

/** The API's per-field errors ({field: "body.email"}) mapped to the form's field ids. */
export function apiFieldErrors(error: unknown, fieldIds: Record<string, string>): FieldErrors {
  const result: FieldErrors = {};
  if (!(error instanceof ApiError)) return result;
  for (const fieldError of error.fieldErrors) {
    const name = fieldError.field.split('.').pop() ?? '';
    const id = fieldIds[name];
    if (id) result[id] = fieldError.message;
  }
  // Problems raised by the service itself may name their field as an extension.
  const field = typeof error.problem.field === 'string' ? error.problem.field : null;
  if (field && fieldIds[field] && error.problem.detail) result[fieldIds[field]] = error.problem.detail;
  return result;
}

export function summary(errors: FieldErrors, order: string[]): { fieldId: string; message: string }[] {
  return order.filter((id) => errors[id]).map((id) => ({ fieldId: id, message: errors[id]! }));
}
