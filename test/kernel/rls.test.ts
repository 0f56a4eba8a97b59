/**
 * Tenant row-level security: inside withUnitOfWork({ tenant }), queries that name no tenant at all see and write only
 * that tenant's rows (account: the company; b2b: the domain), while unscoped work (tenant null) sees everything.
 * Rows are made beforehand on the test's own (superuser, RLS-exempt) connection.
 */
import { QueryTypes, Sequelize } from 'sequelize';
import { TENANT_ROLE } from '../../lib/db/rls';
import { withUnitOfWork } from '../../lib/db/unit-of-work';
import { AuditAction, initAccountModels, Quota, User } from '../../models/account';
import { Domain, Group, initB2bModels, User as B2bUser, UserGroup } from '../../models/b2b';
import { unique } from '../support/harness';

let sequelize: Sequelize;
const acme = unique('acme');
const globex = unique('globex');
const rlsRefusal = /row-level security/;

const sql = async <T extends object>(query: string, bind: unknown[] = []) =>
  sequelize.query<T>(query, { bind, type: QueryTypes.SELECT });
const asTenant = <T>(tenant: string | null, fn: () => Promise<T>) => withUnitOfWork(sequelize, { tenant }, fn);

beforeAll(async () => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
  initAccountModels(sequelize);
  initB2bModels(sequelize);
  for (const company of [acme, globex]) {
    for (const n of [1, 2]) {
      const user = await User.create({ username: `${company}_user${n}`, passwordHash: 'x', companyKey: company });
      await Quota.create({ username: user.username, service: 'UNIVERSAL', methodGroup: 'PLAN', pointsPerRequest: 1, pointsPerDay: 10, pointsPerDateWindow: null, maxConcurrentExecution: null });
    }
  }
});
afterAll(() => sequelize.close());

describe('account: the company is the tenant', () => {
  it('User.findAll() with no where returns only the tenant\'s users although other companies\' exist', async () => {
    const everyone = await User.findAll({ where: { companyKey: [acme, globex] } });
    expect(everyone).toHaveLength(4);
    const seen = await asTenant(acme, () => User.findAll());
    expect(seen.map((u) => u.username).sort()).toEqual([`${acme}_user1`, `${acme}_user2`]);
    expect(await asTenant(acme, () => User.findOne({ where: { username: `${globex}_user1` } }))).toBeNull();
  });

  it('refuses to insert, move or touch another tenant\'s users', async () => {
    await expect(asTenant(acme, () => User.create({ username: unique('intruder'), passwordHash: 'x', companyKey: globex })))
      .rejects.toThrow(rlsRefusal);
    await expect(asTenant(acme, () => User.update({ companyKey: globex }, { where: { username: `${acme}_user1` } })))
      .rejects.toThrow(rlsRefusal);
    const [changed] = await asTenant(acme, () => User.update({ name: 'hijacked' }, { where: { username: `${globex}_user1` } }));
    expect(changed).toBe(0);
    expect(await asTenant(acme, () => User.destroy({ where: { username: `${globex}_user2` } }))).toBe(0);
    expect((await User.findOne({ where: { username: `${globex}_user1` } }))!.name).toBeNull();
    expect(await User.count({ where: { companyKey: globex } })).toBe(2);
  });

  it('lets the tenant write its own rows', async () => {
    const username = unique('newcomer');
    await asTenant(acme, () => User.create({ username, passwordHash: 'x', companyKey: acme }));
    expect(await User.count({ where: { username, companyKey: acme } })).toBe(1);
  });

  it('scopes quotas through their user', async () => {
    const seen = await asTenant(globex, () => Quota.findAll());
    expect(seen.map((q) => q.username).sort()).toEqual([`${globex}_user1`, `${globex}_user2`]);
    await expect(asTenant(globex, () => Quota.create({ username: `${acme}_user1`, service: 'OTHER', methodGroup: 'PLAN', pointsPerRequest: 1, pointsPerDay: 1, pointsPerDateWindow: null, maxConcurrentExecution: null })))
      .rejects.toThrow(rlsRefusal);
  });

  it('keeps the audit counters by trigger under the tenant role, and shows a tenant only its own counters', async () => {
    const action = (username: string, companyKey: string) => ({
      username, companyKey, traceCode: crypto.randomUUID(), client: 'c', server: 's', service: 'UNIVERSAL', operation: 'op',
      time: new Date(), methodGroup: 'PLAN',
    });
    await asTenant(acme, () => AuditAction.bulkCreate([action(`${acme}_user1`, acme), action(`${acme}_user1`, acme)]));
    await asTenant(globex, () => AuditAction.create(action(`${globex}_user1`, globex)));
    await expect(asTenant(acme, () => AuditAction.create(action(`${globex}_user1`, globex)))).rejects.toThrow(rlsRefusal);

    const counts = await sql<{ scope: string; n: string }>('SELECT scope, n FROM account.audit_counts WHERE scope = ANY($1) ORDER BY scope',
      [[`c:${acme}`, `u:${acme}_user1`, `c:${globex}`, `u:${globex}_user1`]]);
    expect(counts.map((c) => [c.scope, Number(c.n)])).toEqual([
      [`c:${acme}`, 2], [`c:${globex}`, 1], [`u:${acme}_user1`, 2], [`u:${globex}_user1`, 1],
    ]);
    const seen = await asTenant(acme, () => sql<{ scope: string }>('SELECT scope FROM account.audit_counts ORDER BY scope'));
    expect(seen.map((c) => c.scope)).toEqual([`c:${acme}`, `u:${acme}_user1`]);
    await expect(asTenant(acme, () => sql(`UPDATE account.audit_counts SET n = 0 WHERE scope = $1 RETURNING scope`, [`c:${acme}`])))
      .rejects.toThrow(/permission denied/);
  });
});

describe('b2b: the domain is the tenant', () => {
  const domA = unique('doma');
  const domB = unique('domb');
  const ids: Record<string, { user: number; group: number }> = {};
  beforeAll(async () => {
    for (const d of [domA, domB]) {
      await Domain.create({ uid: d });
      const group = await Group.create({ uid: `staff@${d}`, domainUid: d });
      const user = await B2bUser.create({ uid: `boss@${d}`, domainUid: d, login: `boss@${d}`, passHashEnc: 'sealed' });
      await UserGroup.create({ userId: user.id, groupId: group.id });
      ids[d] = { user: user.id, group: group.id };
    }
  });

  it('shows a domain only its own domain, users, groups and memberships', async () => {
    const seen = await asTenant(domA, async () => ({
      domains: (await Domain.findAll()).map((d) => d.uid),
      users: (await B2bUser.findAll()).map((u) => u.uid),
      groups: (await Group.findAll()).map((g) => g.uid),
      memberships: (await UserGroup.findAll()).map((m) => [m.userId, m.groupId]),
    }));
    expect(seen).toEqual({ domains: [domA], users: [`boss@${domA}`], groups: [`staff@${domA}`], memberships: [[ids[domA].user, ids[domA].group]] });
  });

  it('refuses rows of another domain, and memberships across domains', async () => {
    await expect(asTenant(domA, () => B2bUser.create({ uid: `spy@${domB}`, domainUid: domB, login: `spy@${domB}`, passHashEnc: 'sealed' })))
      .rejects.toThrow(rlsRefusal);
    await expect(asTenant(domA, () => UserGroup.create({ userId: ids[domA].user, groupId: ids[domB].group })))
      .rejects.toThrow(rlsRefusal);
    await expect(asTenant(domA, () => UserGroup.create({ userId: ids[domB].user, groupId: ids[domA].group })))
      .rejects.toThrow(rlsRefusal);
    expect(await asTenant(domA, () => UserGroup.destroy({ where: { userId: ids[domB].user } }))).toBe(0);
    expect(await UserGroup.count({ where: { userId: [ids[domA].user, ids[domB].user] } })).toBe(2);
  });
});

describe('the tenant scope itself', () => {
  it('runs a tenant unit of work as the non-superuser tenant role with the tenant set, and leaves no trace on the pooled connection', async () => {
    const inside = await asTenant(acme, () => sql<{ who: string; tenant: string; su: boolean }>(
      "SELECT current_user AS who, current_setting('app.tenant') AS tenant, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su"));
    expect(inside[0]).toEqual({ who: TENANT_ROLE, tenant: acme, su: false });
    const after = await sql<{ who: string; session: string; tenant: string | null }>(
      "SELECT current_user AS who, session_user AS session, nullif(current_setting('app.tenant', true), '') AS tenant");
    expect(after[0].who).toBe(after[0].session);
    expect(after[0].tenant).toBeNull();
  });

  it('with tenant null switches no role: unscoped work (a login) sees every tenant', async () => {
    const seen = await asTenant(null, () => User.count({ where: { companyKey: [acme, globex] } }));
    expect(seen).toBeGreaterThanOrEqual(4);
    const [who] = await asTenant(null, () => sql<{ same: boolean }>('SELECT current_user = session_user AS same'));
    expect(who.same).toBe(true);
  });

  it('passes the tenant as data: a quote in it matches nothing instead of widening the scope', async () => {
    expect(await asTenant(`${acme}' OR '1'='1`, () => User.count())).toBe(0);
  });
});
