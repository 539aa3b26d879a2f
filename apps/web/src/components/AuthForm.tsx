import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { formErrorsOf } from '../errors.ts';
import { hasVisibleText } from '../format.ts';
import type { ApiError, RouterInputs } from '../trpc.ts';

export type AuthMode = 'signIn' | 'signUp';
export type SignUpValues = RouterInputs['auth']['register'];

const FIELDS = ['username', 'password', 'displayName'] as const;
type Field = (typeof FIELDS)[number];
/** What signing in needs: neither may be empty. */
const SIGN_IN_FIELDS = ['username', 'password'] as const;

// No maxLength on the fields: a browser cuts a pasted value silently (129 characters from a
// password manager made an account its own password could not sign in to); the server's field
// errors say what is too long.

interface AuthFormProps {
  mode: AuthMode;
  onModeChange: (mode: AuthMode) => void;
  /** For sign-in only `username` and `password` are sent. */
  onSubmit: (values: SignUpValues) => void;
  pending: boolean;
  error: ApiError | null;
  /** Why the user is here, e.g. their session expired. */
  notice: string | null;
}

/** Sign in / create account. Server errors appear next to the field they are about; so does an empty sign-in field, at once. */
export function AuthForm({ mode, onModeChange, onSubmit, pending, error, notice }: AuthFormProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  // Sign-in fields found empty on submit, until they change.
  const [empty, setEmpty] = useState<readonly Field[]>([]);
  const id = useId();
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});
  const formAlert = useRef<HTMLParagraphElement | null>(null);

  const signingUp = mode === 'signUp';
  // On sign-up, CONFLICT can only mean the username is taken.
  const errors = formErrorsOf(error, FIELDS, signingUp ? { CONFLICT: 'username' } : {});

  // Take keyboard and screen-reader users straight to what needs fixing.
  // Runs when a new error arrives (a new object per failed submit), not on every keystroke.
  const firstInvalid = FIELDS.find((name) => errors.fields[name]) ?? null;
  useEffect(() => {
    if (!error) return;
    if (firstInvalid) inputs.current[firstInvalid]?.focus();
    else formAlert.current?.focus();
  }, [error, firstInvalid]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const values = { username: username.trim(), password };
    // Signing in with a field left empty cannot succeed: said at once, beside the field, rather
    // than after the server's slow password check. Any other rule stays the server's.
    const blank = signingUp ? [] : SIGN_IN_FIELDS.filter((name) => values[name] === '');
    if (blank[0]) {
      setEmpty(blank);
      inputs.current[blank[0]]?.focus();
      return;
    }
    const name = displayName.trim();
    // A name with nothing visible is no name, as a blank one: the account takes the username.
    onSubmit({ ...values, ...(signingUp && hasVisibleText(name) ? { displayName: name } : {}) });
  };

  const field = (name: Field, label: string, props: { type: string; autoComplete: string; hint?: string | undefined; value: string; onChange: (value: string) => void }) => {
    const inputId = `${id}-${name}`;
    const message = empty.includes(name) ? `Enter your ${label.toLowerCase()}` : errors.fields[name];
    // The error replaces the hint: it says the same thing, about what was actually typed.
    const hint = message ? undefined : props.hint;
    const describedBy = message ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined;
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <input
          ref={(element) => {
            inputs.current[name] = element;
          }}
          id={inputId}
          name={name}
          // The page is for signing in: the keyboard starts where that starts (after signing out too).
          autoFocus={name === 'username'}
          type={props.type}
          autoComplete={props.autoComplete}
          autoCapitalize="none"
          spellCheck={false}
          value={props.value}
          onChange={(event) => {
            props.onChange(event.target.value);
            if (empty.includes(name)) setEmpty(empty.filter((other) => other !== name));
          }}
          aria-invalid={message ? true : undefined}
          aria-describedby={describedBy}
        />
        {hint && (
          <p className="hint" id={`${inputId}-hint`}>
            {hint}
          </p>
        )}
        {message && (
          <p className="field-error" id={`${inputId}-error`} data-testid={`${name}-error`}>
            {message}
          </p>
        )}
      </div>
    );
  };

  const title = signingUp ? 'Create your account' : 'Sign in to Parley';
  return (
    <form className="card auth-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{title}</h1>
      {notice && (
        <p className="notice" role="status" data-testid="session-notice">
          {notice}
        </p>
      )}
      {field('username', 'Username', {
        type: 'text',
        autoComplete: 'username',
        hint: signingUp ? '3–32 characters: letters, digits, _ . - (at least one letter or digit)' : undefined,
        value: username,
        onChange: setUsername,
      })}
      {field('password', 'Password', {
        type: 'password',
        autoComplete: signingUp ? 'new-password' : 'current-password',
        hint: signingUp ? 'At least 8 characters' : undefined,
        value: password,
        onChange: setPassword,
      })}
      {signingUp &&
        field('displayName', 'Display name', {
          type: 'text',
          autoComplete: 'nickname',
          hint: 'How others see you. Optional: your username if left empty.',
          value: displayName,
          onChange: setDisplayName,
        })}
      {errors.form && (
        <p className="form-error" role="alert" tabIndex={-1} ref={formAlert} data-testid="form-error">
          {errors.form}
        </p>
      )}
      <button type="submit" className="button primary" disabled={pending} aria-busy={pending || undefined}>
        {pending ? (signingUp ? 'Creating account…' : 'Signing in…') : signingUp ? 'Create account' : 'Sign in'}
      </button>
      <p className="switch-mode">
        {signingUp ? 'Already have an account?' : 'New to Parley?'}{' '}
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setEmpty([]);
            onModeChange(signingUp ? 'signIn' : 'signUp');
          }}
        >
          {signingUp ? 'Sign in' : 'Create an account'}
        </button>
      </p>
    </form>
  );
}
