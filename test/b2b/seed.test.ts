/**
 * The seed's own material: its sample Authorization header authenticates once its user exists as the seed describes
 * it, its request bodies are accepted, and its answers (kept as the spec's examples) validate against the spec.
 * This is the only suite that uses the domain test_domain.
 *
 * The sample header's stamp is 2017-01-05 with an age of 999999999 s (31 years): with the default token life cap
 * (B2B_MAX_TOKEN_AGE_SECONDS, two days) it is long expired, so the suite raises the cap to the age it claims, as an
 * operator who wants the vendor's documentation token to work would.
 */
import { commands } from '../../handlers/b2b/_admin';
import { specValidator } from '../../lib/spec-schemas';
import { as, b2bHarness, membershipsOf, type Harness } from './_fixtures';

const SEED_HEADER = 'AR-REST dGVzdF91c2VyQHRlc3RfZG9tYWluOjE0ODM2MzQ3MjM6OTk5OTk5OTk5OjN3ZzgyRXVUd2VjMjkvT3ZRN215eUE9PQ==';
const doc = specValidator('b2b').document as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const exampleOf = (path: string, method: string) => doc.paths[path][method];

let h: Harness;
const savedCap = process.env.B2B_MAX_TOKEN_AGE_SECONDS;
beforeAll(async () => {
  process.env.B2B_MAX_TOKEN_AGE_SECONDS = '999999999';
  h = await b2bHarness();
  await commands['create-domain'].run({
    uid: 'test_domain', name: 'Домен для системы тестирования', comment: 'Домен для системы тестирования test_domain', roles: 'CLIENT,USER', tags: 'test',
  }, h.sequelize);
  await commands['create-group'].run({ uid: 'USERS@test_domain', name: 'Пользователи', roles: 'USER' }, h.sequelize);
  await commands['create-user'].run({
    uid: 'test_user@test_domain', 'pass-hash': 'ICy5YqxZB1uWSwcVLSNLcA==', name: 'Пользователь для системы тестирования',
    comment: 'Пользователь для системы тестирования', email: 'test_user@avtocod.ru', contacts: ' тел. +7 111-111-11-11',
    roles: 'ADMIN,DOMAIN,ALL_REPORTS_READ,ALL_REPORTS_WRITE', groups: 'USERS',
  }, h.sequelize);
});
afterAll(async () => {
  if (savedCap === undefined) delete process.env.B2B_MAX_TOKEN_AGE_SECONDS;
  else process.env.B2B_MAX_TOKEN_AGE_SECONDS = savedCap;
  await h.close();
});

describe('the seed', () => {
  it('sample header authenticates test_user@test_domain, who gets USER only through its group and domain', async () => {
    const res = await h.call('get', '/b2b/api/v1/user', { ...as(SEED_HEADER), query: { _detailed: true } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ state: 'ok', size: 1, stamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), data: [expect.any(Object)] });
    const user = res.body.data[0];
    expect(user).toEqual(expect.objectContaining({
      uid: 'test_user@test_domain', login: 'test_user@test_domain', email: 'test_user@avtocod.ru', contacts: ' тел. +7 111-111-11-11',
      state: 'ACTIVE', domain_uid: 'test_domain', roles: 'ADMIN,DOMAIN,ALL_REPORTS_READ,ALL_REPORTS_WRITE', data: {}, tags: '',
      name: 'Пользователь для системы тестирования', active_from: '1900-01-01T00:00:00.000Z', active_to: '3000-01-01T00:00:00.000Z',
    }));
    expect(user.domain).toEqual(expect.objectContaining({ uid: 'test_domain', state: 'ACTIVE', roles: 'CLIENT,USER', tags: 'test', name: 'Домен для системы тестирования' }));
    expect(user.groups).toEqual([expect.objectContaining({ uid: 'USERS@test_domain', roles: 'USER', name: 'Пользователи', comment: '', tags: '' })]);
    expect(user.roles.split(',')).not.toContain('USER');
  });

  it('sample header without _detailed answers the account alone', async () => {
    const res = await h.call('get', '/b2b/api/v1/user', as(SEED_HEADER));
    expect(res.status).toBe(200);
    expect(res.body.data[0].uid).toBe('test_user@test_domain');
    expect(res.body.data[0]).not.toHaveProperty('domain');
    expect(res.body.data[0]).not.toHaveProperty('groups');
  });

  it('groups upsert example is accepted: USERS stays USERS@test_domain, OPERATORS is created', async () => {
    const body = exampleOf('/b2b/api/v1/domain/groups', 'post').requestBody.content['application/json'].example;
    expect(body.data.map((g: { uid: string }) => g.uid)).toEqual(['USERS', 'OPERATORS']);
    const res = await h.call('post', '/b2b/api/v1/domain/groups', { ...as(SEED_HEADER), body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ state: 'ok', size: 2, data: [true, true] }));
    const [rows] = await h.sequelize.query("SELECT uid, name, roles FROM b2b.groups WHERE domain_uid = 'test_domain' ORDER BY uid");
    expect(rows).toEqual([
      { uid: 'OPERATORS@test_domain', name: 'Операторы', roles: ['OPERATOR'] },
      { uid: 'USERS@test_domain', name: 'Пользователи', roles: ['USER'] },
    ]);
  });

  it('users upsert example is accepted: unknown groups are ignored, the sample header still authenticates', async () => {
    const body = exampleOf('/b2b/api/v1/domain/users', 'post').requestBody.content['application/json'].example;
    expect(body.data[0].groups_refs).toEqual(['USERS1', '-USERS2', '!USERS3']);
    const res = await h.call('post', '/b2b/api/v1/domain/users', { ...as(SEED_HEADER), body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ state: 'ok', size: 2, data: [true, true] }));
    const [rows] = await h.sequelize.query("SELECT uid, roles, created_by FROM b2b.users WHERE domain_uid = 'test_domain' ORDER BY uid");
    expect(rows).toEqual([
      { uid: 'test_user1@test_domain', roles: ['ADMIN', 'DOMAIN_ADMIN', 'ALL_REPORTS_READ', 'ALL_REPORTS_WRITE'], created_by: 'test_user@test_domain' },
      { uid: 'test_user@test_domain', roles: ['ADMIN'], created_by: 'system' },
    ]);
    expect(await membershipsOf(h, 'test_user@test_domain')).toEqual(['USERS@test_domain']);
    expect(await membershipsOf(h, 'test_user1@test_domain')).toEqual([]);
    const again = await h.call('get', '/b2b/api/v1/user', as(SEED_HEADER));
    expect(again.status).toBe(200);
    expect(again.body.data[0].roles).toBe('ADMIN');
  });

  it('with the default token life cap the sample header is expired, naming the cap', async () => {
    delete process.env.B2B_MAX_TOKEN_AGE_SECONDS;
    try {
      const res = await h.call('get', '/b2b/api/v1/user', as(SEED_HEADER));
      expect({ status: res.status, type: res.body.type }).toEqual({ status: 403, type: 'SecurityAuthTimeoutedStamp' });
      expect(res.body.data).toEqual({ income_stamp: '2017-01-05T16:45:23.000Z', income_age: 999999999, max_age: 172800, server_time: expect.any(String) });
    } finally {
      process.env.B2B_MAX_TOKEN_AGE_SECONDS = '999999999';
    }
  });

  it('examples in the spec (the seed\'s bodies and answers) validate against their schemas', () => {
    const v = specValidator('b2b');
    const cases: Array<[string, unknown]> = [
      ['user_list_response', exampleOf('/b2b/api/v1/user', 'get').responses['200'].content['application/json'].example],
      ['users_upsert_request', exampleOf('/b2b/api/v1/domain/users', 'post').requestBody.content['application/json'].example],
      ['groups_upsert_request', exampleOf('/b2b/api/v1/domain/groups', 'post').requestBody.content['application/json'].example],
      ['upsert_response', doc.components.responses.upsert_result.content['application/json'].example],
      ['dev_token', exampleOf('/b2b/api/v1/dev/token', 'get').responses['200'].content['application/json'].example],
      ['event', doc.components.responses.unauthorized.content['application/json'].example],
      ['event', doc.components.examples.timeouted_stamp.value],
      ['event', doc.components.examples.locked.value],
      ['fail_response', doc.components.examples.access_denied.value],
      ['framework_error', doc.components.examples.malformed_json.value],
    ];
    for (const [schema, example] of cases) {
      const validate = v.schema(schema);
      expect({ schema, valid: validate(structuredClone(example)), errors: validate.errors ?? null }).toEqual({ schema, valid: true, errors: null });
    }
  });
});
