// CPU time of each kind of thread of a command (its main thread, worker threads, V8's helpers), read
// from /proc/PID/task/*/stat every 20 ms while it runs: the last reading of each thread before it
// ends counts (so up to 20 ms of a thread's end is missed). Linux only; for benchmarks, never tests.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (getconf CLK_TCK is 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ThreadCpu {
  /** Seconds of CPU (user + system) by thread name (`MainThread`, `WorkerThread`, `V8Worker`, ...). */
  readonly byName: Map<string, number>;
  readonly wallSeconds: number;
}

export async function threadCpu(cmd: string, args: readonly string[]): Promise<ThreadCpu> {
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const last = new Map<string, { name: string; seconds: number }>();
  const sample = () => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${child.pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
        // comm is in parentheses and may hold spaces; the fields after it are space-separated.
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // fields[11], fields[12]: utime and stime (fields 14 and 15 of proc(5), counting from 1).
        last.set(tid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
      } catch {
        // the thread ended between the listing and the read
      }
    }
  };
  const timer = setInterval(sample, 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`);
  const byName = new Map<string, number>();
  for (const { name, seconds } of last.values()) byName.set(name, (byName.get(name) ?? 0) + seconds);
  return { byName, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
