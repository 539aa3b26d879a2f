/** Turning API errors into words a person can act on, placed where they belong on a form. */
import type { ApiError } from './trpc.ts';

export interface FormErrors<Field extends string> {
  /** The first message for each field, shown next to that field. */
  fields: Partial<Record<Field, string>>;
  /** Anything that is not about one field on this form. */
  form: string | null;
}

type ErrorCode = NonNullable<ApiError['data']>['code'];

export const NO_ERRORS = { fields: {}, form: null } as const satisfies FormErrors<never>;

/**
 * Splits an API error over a form's fields. Field errors come from the `zodError` the
 * server's errorFormatter adds; `fieldByCode` places errors that carry no field data but
 * clearly concern one field (e.g. CONFLICT on sign-up means the username is taken).
 */
export function formErrorsOf<Field extends string>(
  error: ApiError | null,
  fields: readonly Field[],
  fieldByCode: Partial<Record<ErrorCode, Field>> = {},
): FormErrors<Field> {
  if (!error) return NO_ERRORS;
  const zodError = error.data?.zodError;
  const found: Partial<Record<Field, string>> = {};
  const elsewhere: string[] = [...(zodError?.formErrors ?? [])];
  for (const [field, messages] of Object.entries(zodError?.fieldErrors ?? {})) {
    const [first] = messages ?? [];
    if (first === undefined) continue;
    if (isField(fields, field)) found[field] = first;
    else elsewhere.push(first);
  }
  if (Object.keys(found).length > 0 || elsewhere.length > 0) {
    return { fields: found, form: elsewhere[0] ?? null };
  }
  const code = error.data?.code;
  const field = code ? fieldByCode[code] : undefined;
  if (field) {
    const placed: Partial<Record<Field, string>> = {};
    placed[field] = error.message;
    return { fields: placed, form: null };
  }
  return { fields: {}, form: describeError(error) };
}

function isField<Field extends string>(fields: readonly Field[], name: string): name is Field {
  return (fields as readonly string[]).includes(name);
}

/** What a call that never got an answer from the API says. */
export const UNREACHABLE = 'Cannot reach Parley. Check your connection and try again.';

/** One sentence for an error that is not about a particular field. */
export function describeError(error: ApiError): string {
  // No `data` means the request never got an answer from the API.
  if (!error.data) return UNREACHABLE;
  switch (error.data.code) {
    case 'INTERNAL_SERVER_ERROR':
      return 'Something went wrong on our side. Please try again.';
    case 'SERVICE_UNAVAILABLE':
      return 'Parley is temporarily unavailable. Please try again shortly.';
    default:
      // Invalid input: the first field's message alone (the error's message lists them all, with their fields).
      return firstInputError(error) ?? error.message;
  }
}

function firstInputError(error: ApiError): string | undefined {
  const zodError = error.data?.zodError;
  if (!zodError) return undefined;
  return zodError.formErrors[0] ?? Object.values(zodError.fieldErrors).find((messages) => messages?.length)?.[0];
}

export function isUnauthorized(error: ApiError): boolean {
  return error.data?.code === 'UNAUTHORIZED';
}

/** Why a send failed, in words: a rate limit says how long to wait ("try again in 4 s"). */
export function describeSendError(error: ApiError): string {
  const retryAfterMs = error.data?.code === 'TOO_MANY_REQUESTS' ? error.data.retryAfterMs : null;
  if (retryAfterMs !== null && retryAfterMs !== undefined) {
    return `You are sending too fast: the limit lifts in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`;
  }
  // No answer: it goes again by itself (resendOf), so no advice to try again.
  if (!error.data) return 'Parley cannot be reached.';
  // Seen in the thread, so I am a member now: I was not when it went (removed as I sent it).
  if (error.data.code === 'NOT_FOUND') return 'You were not a member of this conversation when you sent it';
  return describeError(error);
}

/** How long a send the database could not take waits before it goes again. */
export const UNAVAILABLE_RESEND_MS = 5_000;

/**
 * Whether a failed send goes again by itself: once the connection is back when it got no
 * answer (offline, or no answer in time: thread.ts), after the wait the server named for a rate
 * limit, a few seconds later when the database was briefly down. A refusal (not a member,
 * invalid) never: the user decides.
 */
export function resendOf(error: ApiError): { when: 'when-online' } | { when: 'after-wait'; waitMs: number } | null {
  if (!error.data) return { when: 'when-online' };
  if (error.data.code === 'SERVICE_UNAVAILABLE') return { when: 'after-wait', waitMs: UNAVAILABLE_RESEND_MS };
  const { retryAfterMs } = error.data;
  if (error.data.code === 'TOO_MANY_REQUESTS' && typeof retryAfterMs === 'number') return { when: 'after-wait', waitMs: retryAfterMs };
  return null;
}
