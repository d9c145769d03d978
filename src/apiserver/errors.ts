// The Kubernetes `Status` error catalogue (apimachinery pkg/api/errors): clients switch on
// `reason` and `code`, and kubectl prints `message`, so these follow upstream wording.

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** What an error message names: `services`, `networkpolicies.networking.k8s.io`. */
export interface GroupResource {
  group: string;
  resource: string;
}

const qualified = (gr: GroupResource) => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

export const notFound = (gr: GroupResource, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });

export const alreadyExists = (gr: GroupResource, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });

export const conflict = (gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group, kind: gr.resource });

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const unsupportedMediaType = (contentType: string) =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`);

export const expired = (message: string) => new ApiError(410, 'Expired', message);

export const gone = (message: string) => new ApiError(410, 'Gone', message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (message: string, gr?: GroupResource, name?: string) =>
  new ApiError(403, 'Forbidden', message, gr ? { name, group: gr.group, kind: gr.resource } : undefined);

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource') =>
  new ApiError(405, 'MethodNotAllowed', message);

export const notAcceptable = (message: string) => new ApiError(406, 'NotAcceptable', message);

export const tooLarge = (message = 'the request is too large') => new ApiError(413, 'RequestEntityTooLarge', message);

export const internal = (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);

export const pathNotFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

// Field errors (apimachinery pkg/util/validation/field) that become an Invalid (422).
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  detail: string;
  value?: unknown;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
};

export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail });
export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  type: 'FieldValueNotSupported', field, value, detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
});
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value, detail: '' });
export const forbiddenField = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });

function fieldErrorText(e: FieldError): string {
  let s = `${e.field}: ${typeText[e.type]}`;
  if (e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate') {
    s += `: ${typeof e.value === 'string' ? JSON.stringify(e.value) : JSON.stringify(e.value ?? null)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export function invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
  const texts = errs.map(fieldErrorText);
  const body = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${body}`, {
    name,
    group,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorText(e).slice(e.field.length + 2), field: e.field })),
  });
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
export const isNotFound = (e: unknown) => isApiError(e) && e.reason === 'NotFound';
export const isConflict = (e: unknown) => isApiError(e) && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown) => isApiError(e) && e.reason === 'AlreadyExists';
export const isInvalid = (e: unknown) => isApiError(e) && e.reason === 'Invalid';
export const isExpired = (e: unknown) => isApiError(e) && (e.reason === 'Expired' || e.reason === 'Gone');
