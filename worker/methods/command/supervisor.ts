/**
 * The supervisor of one command trial: `node supervisor.js PROGRAM ARGS...`, started by the worker
 * as the leader of a process group of its own (spawn `detached`), with a control pipe on fd 3.
 * It starts the program in its group (stdout and stderr inherited) and:
 * - when the control pipe closes (the worker exited, even by SIGKILL), kills the whole group;
 * - ignores SIGTERM and SIGINT itself (the worker signals the group: the program decides what
 *   SIGTERM means; SIGKILL ends everyone);
 * - when the program ends, writes `{"code":N,"signal":S}` on the control pipe and exits.
 * No shell is involved at any point.
 */
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';

const [program, ...args] = process.argv.slice(2);
const control = new Socket({ fd: 3, readable: true, writable: true });

function killGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(137);
  }
}

// The worker holds the other end: EOF or an error means it is gone.
control.on('end', killGroup);
control.on('close', killGroup);
control.on('error', killGroup);
control.resume();
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);

if (program === undefined) {
  control.end(`${JSON.stringify({ code: null, signal: null, error: 'no program given' })}\n`);
  process.exitCode = 2;
} else {
  const child = spawn(program, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('error', (err) => {
    control.removeAllListeners('close');
    control.removeAllListeners('end');
    control.end(`${JSON.stringify({ code: null, signal: null, error: err.message })}\n`, () => process.exit(127));
  });
  child.on('exit', (code, signal) => {
    control.removeAllListeners('close');
    control.removeAllListeners('end');
    control.end(`${JSON.stringify({ code, signal })}\n`, () => {
      // Whatever the program left running in the group goes with it.
      try {
        process.kill(-process.pid, 'SIGKILL');
      } catch {
        process.exit(0);
      }
    });
  });
}
