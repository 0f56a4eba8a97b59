/**
 * Progress of the long commands (issue 14): the contract runner's lines and, on a terminal, its bar
 * (lib/contract/report.ts progressLog); the account `record-usage` lines done for big files (handlers/account/_usage.ts).
 */
import crypto from 'node:crypto';
import { Sequelize } from 'sequelize';
import { initAccountModels } from '../../models/account';
import { commands } from '../../handlers/account/_admin';
import { parseUsage, recordUsage, type UsagePhase } from '../../handlers/account/_usage';
import { progressLog } from '../../lib/contract/report';

describe('contract progress', () => {
  const runnerLines = ['account:', '  read_info: 12 cases (8 positive)', '  update_info: 30 cases (20 positive), 2 with failures',
    '  undocumented methods: 9 cases', '  scenario "login": ok', 'b2b:', '  read_user: 4 cases (2 positive)'];

  test('off a terminal the runner\'s lines pass through unchanged, with no control characters', () => {
    let out = '';
    const p = progressLog({ totalOperations: 5, tty: false, write: (s) => { out += s; } });
    runnerLines.forEach((l) => p.log(l));
    p.end();
    expect(out).toBe(`${runnerLines.join('\n')}\n`);
    expect(p.done).toBe(3);
  });

  test('on a terminal a bar of operations done follows each line and is cleared at the end', () => {
    let out = '';
    const p = progressLog({ totalOperations: 4, tty: true, width: 90, write: (s) => { out += s; } });
    p.log('account:');
    expect(out).toBe('account:\n[----------------------------------------] 0/4 operations · account');
    p.log('  read_info: 12 cases (8 positive)');
    expect(out.endsWith('\r\x1b[K  read_info: 12 cases (8 positive)\n[##########------------------------------] 1/4 operations · account')).toBe(true);
    p.log('  undocumented methods: 9 cases'); // not an operation
    expect(out.endsWith('1/4 operations · account')).toBe(true);
    p.log('b2b:');
    p.log('  read_user: 4 cases (2 positive)');
    expect(out.endsWith('[####################--------------------] 2/4 operations · b2b')).toBe(true);
    p.end();
    expect(out.endsWith('\r\x1b[K')).toBe(true);
  });
});

describe('record-usage progress', () => {
  let sequelize: Sequelize;
  beforeAll(() => {
    sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
    initAccountModels(sequelize);
  });
  afterAll(() => sequelize.close());

  const username = `prog_${crypto.randomBytes(4).toString('hex')}`;
  const events = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({
    tracedata: { code: crypto.randomUUID(), client: `acme_${username}_|_${username}`, server: 'w1', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: new Date(Date.now() - i * 1000).toISOString() },
    method_group: 'PLAN', points_count: 1, duration: 'PT1S',
  })).join('\n');

  test('lines done every N lines and at the end, per phase; nothing for a file shorter than N', async () => {
    await commands['create-user'].run({ username, password: `Pw-${crypto.randomBytes(8).toString('hex')}!`, 'company-key': `acme_${username}` }, sequelize);
    const seen: string[] = [];
    const progress = { every: 3, report: (phase: UsagePhase, done: number, total: number) => seen.push(`${phase} ${done}/${total}`) };
    const parsed = parseUsage(`${events(7)}\n`, progress);
    expect(seen).toEqual(['parsed 3/7', 'parsed 6/7', 'parsed 7/7']);
    seen.length = 0;
    expect(await recordUsage(parsed, progress)).toEqual({ recorded: 7, payloads: 0 });
    expect(seen).toEqual(['checked 3/7', 'checked 6/7', 'checked 7/7', 'recorded 7/7']);

    seen.length = 0;
    await recordUsage(parseUsage(events(2), progress), progress);
    expect(seen).toEqual([]);
  });
});
