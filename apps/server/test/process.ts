/**
 * Runs the real entry point (src/main.ts) as its own process on the current Node, for
 * tests that need what an operator gets: the browser tests use it too.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts main.ts on the current Node with only `env` (and PATH) in its environment. */
export function runMain(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The parsed JSON log lines printed so far. */
export function logLines(output: string): { msg?: string; url?: string; level?: number }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; url?: string; level?: number });
}

export async function listeningUrl(running: Running): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = logLines(running.stdout()).find((entry) => entry.msg === 'Parley is listening');
    if (line?.url) return line.url;
    if (running.child.exitCode !== null) throw new Error(`main.ts exited early:\n${running.stdout()}\n${running.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`main.ts did not start:\n${running.stdout()}\n${running.stderr()}`);
}
