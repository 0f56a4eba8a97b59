/**
 * `npm run contract -- --self --service account`, in-process: our server on a fresh embedded database, users made by
 * the admin command, every case and scenario of spec/account.yaml. A failure here is a defect of the server or the spec.
 */
import path from 'node:path';
import { runContract } from '../../lib/contract/runner';
import { failuresOf } from '../../lib/contract/report';

it('the account service passes its contract run with zero failures', async () => {
  const r = await runContract({ projectRoot: path.resolve(__dirname, '..', '..'), self: true, services: ['account'], seed: 1, budget: 12 });
  const s = r.services[0];
  expect(s.error).toBeUndefined();
  expect(failuresOf(s.cases).map((f) => `${f.record.target} · ${f.outcome.check} · ${f.record.description}: ${f.outcome.message}`)).toEqual([]);
  expect(r.ok).toBe(true);
  // the run did what it says: credentials were bootstrapped, secured operations answered 200, the scenario ran
  expect(s.notes.filter((n) => /no credentials|could not/.test(n))).toEqual([]);
  expect(s.scenarios).toEqual([expect.objectContaining({ name: 'token, info, password round trip', failed: 0 })]);
  expect(s.scenarios[0].skipped).toBeUndefined();
  for (const op of ['read_info', 'update_info', 'read_quota', 'read_data', 'read_audit', 'read_report', 'generate_statistics', 'change_password']) {
    expect([op, s.coverage[op].seen[200] > 0]).toEqual([op, true]);
  }
  expect(s.cases.filter((c) => c.kind === 'negative').length).toBeGreaterThan(50);
}, 90_000);
