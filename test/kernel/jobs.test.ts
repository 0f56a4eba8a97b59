/**
 * Background loops with several processes on one database: two handles stand for two processes. A 'leader' job runs
 * in one of them at a time and moves when its leader stops; stop() waits for the run in flight; a failing run is
 * retried; claimBatch hands disjoint rows to concurrent claimers.
 */
import { QueryTypes, Sequelize } from 'sequelize';
import { currentUnitOfWork, withUnitOfWork } from '../../lib/db/unit-of-work';
import { claimBatch, startJobs, type JobsHandle, type JobSpec } from '../../lib/jobs';
import { unique } from '../support/harness';

let sequelize: Sequelize;
const handles: JobsHandle[] = [];
const logged: Array<{ level: string; obj: object; msg: string }> = [];
const log = {
  error: (obj: object, msg: string) => logged.push({ level: 'error', obj, msg }),
  warn: (obj: object, msg: string) => logged.push({ level: 'warn', obj, msg }),
  info: (obj: object, msg: string) => logged.push({ level: 'info', obj, msg }),
};
const start = (jobs: JobSpec[]) => {
  const h = startJobs(sequelize, jobs, log);
  handles.push(h);
  return h;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}
const leaseOf = async (name: string) =>
  (await sequelize.query<{ holder: string }>('SELECT holder FROM kernel.job_leases WHERE name = $1', { bind: [name], type: QueryTypes.SELECT }))[0];

beforeAll(() => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false });
});
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
  logged.length = 0;
});
afterAll(() => sequelize.close());

/** A leader job recording which "process" ran it and whether runs overlapped anywhere. */
function leaderJob(name: string, who: string, record: { runs: string[]; active: number; overlaps: number }, runMs = 15): JobSpec {
  return {
    name, everyMs: 20, mode: 'leader', leaseMs: 2000,
    async run() {
      record.active += 1;
      if (record.active > 1) record.overlaps += 1;
      record.runs.push(who);
      await sleep(runMs);
      record.active -= 1;
    },
  };
}

describe('startJobs', () => {
  it('runs a leader job in only one of two processes, and the other takes over when the leader stops', async () => {
    const name = unique('leader');
    const record = { runs: [] as string[], active: 0, overlaps: 0 };
    const a = start([leaderJob(name, 'a', record)]);
    await until(() => record.runs.length >= 1);
    const b = start([leaderJob(name, 'b', record)]);
    await until(() => record.runs.length >= 10);
    expect(new Set(record.runs)).toEqual(new Set(['a']));
    expect(record.overlaps).toBe(0);
    const leader = (await leaseOf(name)).holder;

    const stoppedAt = Date.now();
    await a.stop();
    // released, not left to expire: gone, or already taken by b (which tries every 20 ms), never still a's
    expect((await leaseOf(name))?.holder).not.toBe(leader);
    const before = record.runs.length;
    await until(() => record.runs.slice(before).some((w) => w === 'b'));
    expect(Date.now() - stoppedAt).toBeLessThan(2000); // the lease (leaseMs 2000) did not have to expire first
    await until(() => record.runs.slice(before).filter((w) => w === 'b').length >= 3);
    expect(record.runs.slice(before).every((w) => w === 'b')).toBe(true);
    expect(record.overlaps).toBe(0);
    expect((await leaseOf(name)).holder).toMatch(/:/);
    await b.stop();
  });

  it('takes over the lease of a crashed process only once it has expired', async () => {
    const name = unique('orphan');
    await sequelize.query("INSERT INTO kernel.job_leases (name, holder, expires_at) VALUES ($1, 'crashed:1', now() + interval '300 milliseconds')",
      { bind: [name] });
    const runs: number[] = [];
    const t0 = Date.now();
    start([{ name, everyMs: 20, mode: 'leader', leaseMs: 1000, async run() { runs.push(Date.now() - t0); } }]);
    await until(() => runs.length >= 1);
    expect(runs[0]).toBeGreaterThanOrEqual(250);
    expect((await leaseOf(name)).holder).not.toBe('crashed:1');
  });

  it('runs an every-process job in each process, never overlapping itself', async () => {
    const counts = { a: 0, b: 0 };
    const active = { a: 0, b: 0 };
    let overlaps = 0;
    const job = (who: 'a' | 'b'): JobSpec => ({
      name: 'tick', everyMs: 5, mode: 'every-process',
      async run() {
        if (++active[who] > 1) overlaps += 1;
        counts[who] += 1;
        await sleep(20); // longer than the period: a second run must wait for this one
        active[who] -= 1;
      },
    });
    start([job('a')]);
    start([job('b')]);
    await until(() => counts.a >= 3 && counts.b >= 3);
    expect(overlaps).toBe(0);
  });

  it('stop() aborts the signal and waits for the run in flight, then releases the lease', async () => {
    const name = unique('slow');
    const events: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const h = start([{
      name, everyMs: 10, mode: 'leader',
      async run(signal) {
        events.push('start');
        started();
        await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
        await sleep(50); // finishing up after the abort
        events.push('end');
      },
    }]);
    await running;
    expect((await leaseOf(name))?.holder).toBeDefined();
    await h.stop();
    events.push('stopped');
    expect(events).toEqual(['start', 'end', 'stopped']);
    expect(await leaseOf(name)).toBeUndefined();
  });

  it('stop() waits for a lease renewal still in flight, so the released lease is not written back', async () => {
    const name = unique('renewing');
    let slowRenewals = false;
    // the same database, with lease upserts held back 150 ms once armed: a heartbeat renewal is still on its way
    // when the run ends and the lease is released
    const slow = Object.create(sequelize) as Sequelize;
    slow.query = (async (sql: string, opts: object) => {
      if (slowRenewals && /INSERT INTO kernel\.job_leases/.test(sql)) await sleep(150);
      return sequelize.query(sql, opts as never);
    }) as never;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const h = startJobs(slow, [{
      name, everyMs: 10, mode: 'leader',
      async run(signal) {
        started();
        await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
        await sleep(30);
      },
    }], log);
    handles.push(h);
    await running;
    slowRenewals = true;
    await sleep(30); // heartbeats (every 10 ms) are now in flight
    await h.stop();
    expect(await leaseOf(name)).toBeUndefined();
    await sleep(300); // and nothing writes it back later
    expect(await leaseOf(name)).toBeUndefined();
  });

  it('survives a throwing run: logged, retried at the next tick', async () => {
    let calls = 0;
    start([{
      name: unique('flaky'), everyMs: 5, mode: 'every-process',
      async run() {
        calls += 1;
        if (calls <= 2) throw new Error(`failure ${calls}`);
      },
    }]);
    await until(() => calls >= 4);
    const errors = logged.filter((l) => l.level === 'error');
    expect(errors.map((l) => (l.obj as { err: Error }).err.message)).toEqual(['failure 1', 'failure 2']);
  });

  it('logs a streak of the same failure once, and the recovery with its count (a database down, a job every 5 ms)', async () => {
    let calls = 0;
    start([{
      name: unique('outage'), everyMs: 5, mode: 'every-process',
      async run() {
        calls += 1;
        if (calls <= 40) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    }]);
    await until(() => calls >= 42);
    const errors = logged.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect((errors[0].obj as { failures: number }).failures).toBe(1);
    const recovered = logged.filter((l) => l.level === 'info' && /succeeded again after 40 failures/.test(l.msg));
    expect(recovered).toHaveLength(1);
  });

  it('logs a streak of lease failures once too', async () => {
    let failing = 30;
    const broken = Object.create(sequelize) as Sequelize;
    broken.query = (async (sql: string, opts: object) => {
      if (/INSERT INTO kernel\.job_leases/.test(sql) && failing > 0) {
        failing -= 1;
        throw new Error('Connection terminated unexpectedly');
      }
      return sequelize.query(sql, opts as never);
    }) as never;
    let runs = 0;
    handles.push(startJobs(broken, [{ name: unique('lease-outage'), everyMs: 5, mode: 'leader', async run() { runs += 1; } }], log));
    await until(() => runs >= 1);
    expect(logged.filter((l) => l.level === 'warn' && /lease could not be taken/.test(l.msg))).toHaveLength(1);
    expect(logged.filter((l) => /succeeded again after 30 failures/.test(l.msg))).toHaveLength(1);
  });

  it('runs outside any unit of work, even when started inside one', async () => {
    const seen: unknown[] = [];
    await withUnitOfWork(sequelize, { tenant: null }, async () => {
      start([{ name: unique('ctx'), everyMs: 5, mode: 'every-process', async run() { seen.push(currentUnitOfWork()); } }]);
    });
    await until(() => seen.length >= 2);
    expect(seen.every((u) => u === undefined)).toBe(true);
  });

  it('refuses duplicate names and a lease not longer than the period', () => {
    const job: JobSpec = { name: 'x', everyMs: 100, mode: 'leader', run: async () => undefined };
    expect(() => startJobs(sequelize, [job, job], log)).toThrow(/declared twice/);
    expect(() => startJobs(sequelize, [{ ...job, leaseMs: 100 }], log)).toThrow(/leaseMs/);
  });
});

describe('claimBatch', () => {
  const table = `public.${unique('queue')}`;
  beforeAll(() => sequelize.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, done boolean NOT NULL DEFAULT false);
    INSERT INTO ${table} (done) SELECT false FROM generate_series(1, 10)`));
  afterAll(() => sequelize.query(`DROP TABLE ${table}`));

  it('gives concurrent claimers disjoint rows and finishes them in the claim\'s transaction', async () => {
    const claim = `SELECT id FROM ${table} WHERE NOT done ORDER BY id LIMIT 4 FOR UPDATE SKIP LOCKED`;
    const got: number[][] = [];
    const worker = () => claimBatch<{ id: number }>(sequelize, claim, async (rows, transaction) => {
      got.push(rows.map((r) => r.id));
      await sleep(50); // hold the rows while the other claimer looks
      await sequelize.query(`UPDATE ${table} SET done = true WHERE id = ANY($1)`, { bind: [rows.map((r) => r.id)], transaction });
    });
    const [n1, n2] = await Promise.all([worker(), worker()]);
    expect(n1 + n2).toBe(8);
    expect(new Set(got.flat()).size).toBe(8);

    await expect(claimBatch(sequelize, claim, async () => { throw new Error('handler fails'); })).rejects.toThrow('handler fails');
    expect(await claimBatch<{ id: number }>(sequelize, claim, async (rows, transaction) => {
      await sequelize.query(`UPDATE ${table} SET done = true WHERE id = ANY($1)`, { bind: [rows.map((r) => r.id)], transaction });
    })).toBe(2); // the failed claim's rows came back
    expect(await claimBatch(sequelize, claim, async () => undefined)).toBe(0);
  });

  it('refuses a claim that would block other processes', async () => {
    await expect(claimBatch(sequelize, `SELECT id FROM ${table} LIMIT 1`, async () => undefined)).rejects.toThrow(/SKIP LOCKED/);
  });
});
