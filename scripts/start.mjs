// `npm start`: build what is needed, then run the local stack as child processes with prefixed
// output. Ctrl-C (SIGINT) or SIGTERM stops every child by PID; nothing is left running.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

/** The services, in start order; a service whose entry point is not built yet is skipped. */
const SERVICES = [
  { name: 'simulator', entry: 'simulator/dist/src/main.js', env: { PORT: '8001' } },
  { name: 'backend', entry: 'backend/dist/src/main.js', env: { PORT: '5000' } },
  { name: 'healer', entry: 'healer/dist/src/main.js', env: { PORT: '8081' } },
];

const children = [];
let stopping = false;

function start(name, command, args, env) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(12);
  const pipe = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.write(`${prefix}${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  children.push(child);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map(
      (c) =>
        new Promise((resolve) => {
          const t = setTimeout(() => c.kill('SIGKILL'), 8000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

for (const s of SERVICES) {
  if (existsSync(s.entry)) start(s.name, process.execPath, [s.entry], s.env);
  else console.log(`[start] ${s.name}: not built yet (${s.entry}), skipped`);
}
start('dashboard', 'npm', ['start', '-w', 'dashboard'], { PORT: '8080' });
console.log('\n  dashboard: http://localhost:8080\n');
