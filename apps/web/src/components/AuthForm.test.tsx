import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError } from '../test-fixtures.ts';
import { descriptionOf } from '../test-render.tsx';
import type { ApiError } from '../trpc.ts';
import { AuthForm, type AuthMode } from './AuthForm.tsx';

function renderForm(mode: AuthMode, error: ApiError | null = null, notice: string | null = null) {
  const onSubmit = vi.fn();
  const onModeChange = vi.fn();
  const view = render(
    <AuthForm mode={mode} onModeChange={onModeChange} onSubmit={onSubmit} pending={false} error={error} notice={notice} />,
  );
  return { ...view, onSubmit, onModeChange };
}

const badRequest = (fieldErrors: Record<string, string[]>) =>
  apiError('Invalid input', {
    code: 'BAD_REQUEST',
    httpStatus: 400,
    path: 'auth.register',
    zodError: { formErrors: [], fieldErrors },
    retryAfterMs: null,
  });

describe('AuthForm', () => {
  it('starts with the keyboard in the username field', () => {
    renderForm('signIn');
    expect(document.activeElement).toBe(screen.getByLabelText('Username'));
  });

  it('sends a pasted password whole, however long, for the server to judge', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm('signUp');
    const long = 'p'.repeat(129);

    await user.type(screen.getByLabelText('Username'), 'dora');
    await user.click(screen.getByLabelText('Password'));
    await user.paste(long);
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ password: long }));
  });

  it('sends what was typed, trimmed, and leaves out an empty display name', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm('signUp');

    await user.type(screen.getByLabelText('Username'), '  dora  ');
    await user.type(screen.getByLabelText('Password'), 'correct horse');
    await user.type(screen.getByLabelText('Display name'), '   ');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(onSubmit).toHaveBeenCalledWith({ username: 'dora', password: 'correct horse' });
  });

  it('shows each server field error next to its field and focuses the first one', () => {
    renderForm('signUp', badRequest({ password: ['Too small: expected string to have >=8 characters'], displayName: ['Too long'] }));

    const password = screen.getByLabelText('Password');
    expect(password.getAttribute('aria-invalid')).toBe('true');
    // The error is what a screen reader announces for the field, in place of the hint.
    expect(password.getAttribute('aria-describedby')).toBe(screen.getByTestId('password-error').id);
    expect(screen.queryByText('At least 8 characters')).toBeNull();
    expect(screen.getByTestId('password-error').textContent).toBe('Too small: expected string to have >=8 characters');
    expect(screen.getByTestId('displayName-error').textContent).toBe('Too long');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBeNull();
    expect(document.activeElement).toBe(password);
  });

  it('puts "username taken" on the username field when signing up', () => {
    const taken = apiError('That username is taken', {
      code: 'CONFLICT',
      httpStatus: 409,
      path: 'auth.register',
      zodError: null,
      retryAfterMs: null,
    });
    renderForm('signUp', taken);

    expect(screen.getByTestId('username-error').textContent).toBe('That username is taken');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('reports wrong credentials for the whole form, without saying which field was wrong', () => {
    const invalid = apiError('Invalid username or password', {
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      path: 'auth.login',
      zodError: null,
      retryAfterMs: null,
    });
    renderForm('signIn', invalid);

    expect(screen.getByRole('alert').textContent).toBe('Invalid username or password');
    expect(screen.queryByTestId('username-error')).toBeNull();
    expect(screen.queryByTestId('password-error')).toBeNull();
  });

  it('signing in, says at once which field is empty, without asking the server', async () => {
    const user = userEvent.setup();
    const { onSubmit } = renderForm('signIn');
    const username = screen.getByLabelText('Username');
    const password = screen.getByLabelText('Password');

    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(descriptionOf(username)).toBe('Enter your username');
    expect(descriptionOf(password)).toBe('Enter your password');
    expect(document.activeElement).toBe(username);

    // Spaces are no username either (it is sent trimmed); each message goes once its field changes.
    await user.type(username, '   ');
    expect(descriptionOf(username)).toBe('');
    await user.type(password, 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(descriptionOf(username)).toBe('Enter your username');
    expect(password.getAttribute('aria-invalid')).toBeNull();

    await user.type(username, 'dora');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onSubmit).toHaveBeenCalledExactlyOnceWith({ username: 'dora', password: 'correct horse' });
  });

  it('tells the user why they are signed out, and offers account creation', async () => {
    const user = userEvent.setup();
    const { onModeChange } = renderForm('signIn', null, 'Your session has ended.');

    expect(screen.getByRole('status').textContent).toBe('Your session has ended.');
    expect(screen.queryByLabelText('Display name')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Create an account' }));
    expect(onModeChange).toHaveBeenCalledWith('signUp');
  });
});
