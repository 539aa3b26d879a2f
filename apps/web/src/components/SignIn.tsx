import { useState } from 'react';
import { useSession } from '../hooks.ts';
import { trpc, type RouterOutputs } from '../trpc.ts';
import { AuthForm, type AuthMode, type SignUpValues } from './AuthForm.tsx';

type SessionResult = RouterOutputs['auth']['login'];

/** The signed-out screen: sign in, or create an account, then hand the token to the session. */
export function SignIn({ notice }: { notice: string | null }) {
  const { session } = useSession();
  const utils = trpc.useUtils();
  const [mode, setMode] = useState<AuthMode>('signIn');

  const start = ({ token, user }: SessionResult) => {
    session.signIn(token);
    // The response already says who this is: no need to ask auth.me again.
    utils.auth.me.setData(undefined, user);
  };
  const login = trpc.auth.login.useMutation({ onSuccess: start });
  const register = trpc.auth.register.useMutation({ onSuccess: start });
  const active = mode === 'signIn' ? login : register;

  const changeMode = (next: AuthMode) => {
    login.reset();
    register.reset();
    setMode(next);
  };

  const submit = (values: SignUpValues) => {
    if (mode === 'signIn') login.mutate({ username: values.username, password: values.password });
    else register.mutate(values);
  };

  return (
    <main className="auth-screen">
      <p className="brand" aria-hidden="true">
        Parley
      </p>
      <AuthForm
        mode={mode}
        onModeChange={changeMode}
        onSubmit={submit}
        pending={active.isPending}
        error={active.error}
        // An old notice is no longer news once the user has tried again.
        notice={active.isIdle ? notice : null}
      />
    </main>
  );
}
