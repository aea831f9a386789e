// Shared helpers for bench/ scripts: run a command N times, take the median wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Runs `cmd args` under /usr/bin/time (when present) and returns { ms, rssKiB, stdout }. */
export function timed(cmd, args, opts = {}) {
  const useTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS__%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !(opts.okCodes ?? [0]).includes(r.status)) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr?.slice(-500)}`);
  }
  const m = /__RSS__(\d+)/.exec(r.stderr ?? '');
  return { ms, rssKiB: m ? Number(m[1]) : null, stdout: r.stdout };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs each contender `runs` times interleaved (so machine noise hits all alike); returns medians. */
export function compare(contenders, runs) {
  const res = Object.fromEntries(contenders.map((c) => [c.name, { ms: [], rss: [] }]));
  for (let i = 0; i < runs; i++) {
    for (const c of contenders) {
      c.before?.();
      const r = timed(c.cmd, c.args, c.opts);
      res[c.name].ms.push(r.ms);
      if (r.rssKiB) res[c.name].rss.push(r.rssKiB);
    }
  }
  return contenders.map((c) => ({ name: c.name, ms: median(res[c.name].ms), best: Math.min(...res[c.name].ms), rssMiB: res[c.name].rss.length ? Math.max(...res[c.name].rss) / 1024 : null }));
}

export function table(rows, baselineName, extra = () => '') {
  const base = rows.find((r) => r.name === baselineName);
  for (const r of rows) {
    const ratio = base ? (r.ms / base.ms).toFixed(2) : '-';
    console.log(`${r.name.padEnd(34)} median ${r.ms.toFixed(0).padStart(7)} ms  best ${r.best.toFixed(0).padStart(7)} ms  peak RSS ${r.rssMiB?.toFixed(0) ?? '?'} MiB  ×${ratio} vs ${baselineName}${extra(r)}`);
  }
}

/** Drops the page cache (root only) so the next read comes from disk; returns false where it cannot. */
export function dropPageCache() {
  const r = spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
  return r.status === 0;
}
