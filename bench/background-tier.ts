import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';

/**
 * Processes that stand in for other machines while the payment benchmark runs on one: the
 * worker tier, the third parties, and their database sessions. They may use only the CPU
 * the web tier leaves idle, as if they had machines of their own.
 *
 * A cpu cgroup with `cpu.idle` set does exactly that: its tasks run only when nothing else
 * wants the CPU, and give way at once when something does. Nice cannot: with the kernel's
 * autogroup scheduling (on by default), CPU is shared between sessions first and nice only
 * ranks processes within one, and PostgreSQL gives every connection a session of its own,
 * so a dozen niced worker sessions still took a third of the machine. Where no cpu cgroup
 * can be made (not root, no cgroup filesystem), it falls back to nice 10 for the process
 * and for its session.
 */
export interface BackgroundTier {
  /** How the tier is held back, for the benchmark's report. */
  readonly mechanism: string;
  add(pid: number): void;
  /** Moves what is left back to the root group and removes the group. */
  close(): void;
}

function cpuCgroupRoot(): string | null {
  if (existsSync('/sys/fs/cgroup/cpu/cgroup.procs')) return '/sys/fs/cgroup/cpu';
  const unified = '/sys/fs/cgroup';
  try {
    if (readFileSync(path.join(unified, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) return unified;
  } catch {
    // no cgroup v2 here
  }
  return null;
}

export function backgroundTier(name: string): BackgroundTier {
  const root = cpuCgroupRoot();
  if (root) {
    const group = path.join(root, name);
    try {
      mkdirSync(group, { recursive: true });
      writeFileSync(path.join(group, 'cpu.idle'), '1');
      return {
        mechanism: `cgroup ${group} with cpu.idle`,
        add(pid) {
          try {
            writeFileSync(path.join(group, 'cgroup.procs'), String(pid));
          } catch {
            // a session that just ended
          }
        },
        close() {
          for (const pid of readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
            try {
              writeFileSync(path.join(root, 'cgroup.procs'), pid);
            } catch {
              // ended meanwhile
            }
          }
          try {
            rmdirSync(group);
          } catch (error) {
            console.error(`could not remove ${group}: ${error instanceof Error ? error.message : String(error)}`);
          }
        },
      };
    } catch {
      // not allowed to make or configure the group: nice instead
    }
  }
  return {
    mechanism: 'nice 10 for each process and its session (no cpu cgroup could be made)',
    add(pid) {
      try {
        setPriority(pid, 10);
        writeFileSync(`/proc/${pid}/autogroup`, '10');
      } catch {
        // ended meanwhile, or no autogroup scheduling here (then the process's nice is enough)
      }
    },
    close() {},
  };
}
