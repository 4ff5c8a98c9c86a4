import type { Request } from 'express';
import { validationResult } from 'express-validator';

/** One message per field (the first rule that failed), as the form views show them. */
export type FieldErrors = Partial<Record<string, string>>;

export function fieldErrors(req: Request): FieldErrors {
  const errors: FieldErrors = {};
  for (const error of validationResult(req).array()) {
    if (error.type === 'field' && errors[error.path] === undefined) errors[error.path] = String(error.msg);
  }
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}
