/**
 * The processes of a benchmark: each server under test (targets/*.ts) and the load process
 * (load/driver.ts) are children of the bench, forked on the same Node with an IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromTarget, ProfileKind, StatementTotal, ToTarget } from './targets/control.ts';
import type { ConnectionsHolding, FromLoad, Job, ToLoad } from './load/jobs.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
export const TARGET_ENTRIES = {
  ws: here('./targets/ws-server.ts'),
  socketio: here('./targets/socketio-server.ts'),
  trpc: here('./targets/trpc-server.ts'),
  /** The real entry point, configured through its environment like any deployment. */
  parley: here('../../apps/server/src/main.ts'),
} as const;
const PARLEY_HOOK = here('./targets/parley-hook.ts');
const LOAD_ENTRY = here('./load/driver.ts');

const START_TIMEOUT_MS = 60_000;
/** Lines of a child's output kept to explain a failure. */
const KEPT_OUTPUT = 12_000;

function keepOutput(child: ChildProcess): () => string {
  let output = '';
  const add = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => output;
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Memory after a full garbage collection, in bytes (process.memoryUsage()). */
  memory(): Promise<Memory>;
  /**
   * Parley (parley-hook.ts): records a profile of `kind` from now until profileStop writes
   * it to `path`; profileStop answers the plain-SQL statements run meanwhile (a CPU profile's).
   */
  profileStart(kind: ProfileKind): Promise<void>;
  profileStop(path: string): Promise<StatementTotal[]>;
  stop(): Promise<void>;
  output(): string;
}

export interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** C++ objects bound to JavaScript ones, array buffers included. */
  external: number;
  arrayBuffers: number;
  /** What V8 itself has malloc'ed outside its heap (compiler zones, tables): native, but not the embedder's. */
  v8Malloced: number;
}

export interface StartTarget {
  name: string;
  entry: string;
  env?: Record<string, string>;
  /**
   * How the target says where it listens: over IPC (the baselines, control.ts), or in its
   * JSON log line "Parley is listening" (main.ts, which knows nothing of the bench).
   */
  readyFrom: 'ipc' | 'log';
}

export async function startTarget({ name, entry, env = {}, readyFrom }: StartTarget): Promise<ServerProcess> {
  const child = fork(entry, [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    execArgv: ['--expose-gc', ...(readyFrom === 'log' ? ['--import', PARLEY_HOOK] : [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = keepOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${START_TIMEOUT_MS / 1000} s:\n${output()}`)), START_TIMEOUT_MS);
    child.on('message', (message: FromTarget) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
    if (readyFrom === 'log') {
      let pending = '';
      const onData = (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.includes('"Parley is listening"')) continue;
          const { url } = JSON.parse(line) as { url?: string };
          if (!url) continue;
          child.stdout?.off('data', onData);
          clearTimeout(timer);
          resolve(url.replace(/^http/, 'ws'));
        }
      };
      child.stdout?.on('data', onData);
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}) before it was ready:\n${output()}`));
    });
  });
  const pid = child.pid ?? 0;
  /** Sends `message` and resolves with the first answer of type `answer`. */
  const ask = <T extends FromTarget['type']>(message: ToTarget, answer: T) =>
    new Promise<Extract<FromTarget, { type: T }>>((resolve, reject) => {
      const onMessage = (reply: FromTarget) => {
        if (reply.type !== answer) return;
        child.off('message', onMessage);
        resolve(reply as Extract<FromTarget, { type: T }>);
      };
      child.on('message', onMessage);
      if (!child.send(message)) reject(new Error(`${name} is gone`));
    });
  return {
    name,
    url,
    pid,
    output,
    memory: async () => {
      const { rss, heapUsed, heapTotal, external, arrayBuffers, v8Malloced } = await ask({ type: 'memory' }, 'memory');
      return { rss, heapUsed, heapTotal, external, arrayBuffers, v8Malloced };
    },
    profileStart: async (kind) => void (await ask({ type: 'profile-start', kind }, 'profiling')),
    profileStop: async (path) => (await ask({ type: 'profile-stop', path }, 'profiled')).statements,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ToTarget);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) console.error(`  ${name} exited with code ${code}:\n${output().slice(-2_000)}`);
    },
  };
}

export interface LoadProcess {
  run<R>(job: Job, onHolding?: (holding: ConnectionsHolding) => Promise<void>): Promise<R>;
  stop(): void;
}

/** The load process; `onProgress` gets its progress lines. */
export function startLoad(onProgress: (text: string) => void): LoadProcess {
  const child = fork(LOAD_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    run: <R>(job: Job, onHolding?: (holding: ConnectionsHolding) => Promise<void>) =>
      new Promise<R>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the load process exited (code ${code})`));
        const onMessage = (message: FromLoad) => {
          if (message.type === 'progress') return onProgress(message.text);
          if (message.type === 'holding') {
            const release = () => child.send({ type: 'release' } satisfies ToLoad);
            void (onHolding ? onHolding(message.holding) : Promise.resolve()).then(release, (error: unknown) => {
              release();
              reject(error instanceof Error ? error : new Error(String(error)));
            });
            return;
          }
          child.off('message', onMessage);
          child.off('exit', onExit);
          if (message.type === 'error') reject(new Error(`load process: ${message.message}`));
          else resolve(message.result as R);
        };
        if (exited) return reject(new Error('the load process is not running'));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'job', job } satisfies ToLoad);
      }),
    stop: () => {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
