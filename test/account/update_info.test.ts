/** PUT /account/info */
import { accountHarness, createUser, expectTracedError, type Harness, type TestUser } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const URL = '/account/info';

async function row(username: string) {
  const [rows] = await h.sequelize.query(
    'SELECT username, company_key, timezone, name, email, phone, password_hash, roles, token_epoch FROM account.users WHERE username = :u',
    { replacements: { u: username } },
  );
  return (rows as Record<string, unknown>[])[0];
}

const seeded = () => ({ timezone: 3, name: 'Ann Smith', email: 'ann@example.com', phone: '+71112223333' });

describe('update_info', () => {
  it('replaces name, email and phone and answers the stored account information', async () => {
    const u = await createUser(h, seeded());
    const before = await row(u.username);
    const body = { username: u.username, company_key: u.companyKey, name: 'Bob Jones', email: 'bob@example.org', phone: '+4930123456' };
    const res = await h.call('put', URL, { token: u.token, body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...body, timezone: 3 });
    expect(await row(u.username)).toEqual({ ...before, name: 'Bob Jones', email: 'bob@example.org', phone: '+4930123456' });
    const read = await h.call('get', URL, { token: u.token });
    expect(read.body).toEqual(res.body);
  });

  it('ignores username, company_key and timezone in the body: the stored values win', async () => {
    const u = await createUser(h, seeded());
    const other = await createUser(h, { name: 'Other Person' });
    const otherBefore = await row(other.username);
    const before = await row(u.username);
    const res = await h.call('put', URL, {
      token: u.token,
      body: { username: other.username, company_key: other.companyKey, timezone: -7, name: 'New Name', email: 'new@example.com', phone: '12345' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      username: u.username, company_key: u.companyKey, timezone: 3, name: 'New Name', email: 'new@example.com', phone: '12345',
    });
    expect(await row(u.username)).toEqual({ ...before, name: 'New Name', email: 'new@example.com', phone: '12345' });
    expect(await row(other.username)).toEqual(otherBefore);
  });

  it('stores an omitted name, email or phone as null (PUT replaces)', async () => {
    const u = await createUser(h, seeded());
    const res = await h.call('put', URL, { token: u.token, body: { username: u.username, company_key: u.companyKey, email: 'kept@example.com' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ username: u.username, company_key: u.companyKey, timezone: 3, name: null, email: 'kept@example.com', phone: null });
    expect(await row(u.username)).toEqual(expect.objectContaining({ name: null, email: 'kept@example.com', phone: null, timezone: 3 }));
  });

  it('accepts explicit nulls', async () => {
    const u = await createUser(h, seeded());
    const res = await h.call('put', URL, { token: u.token, body: { username: u.username, company_key: u.companyKey, name: null, email: null, phone: null } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ username: u.username, company_key: u.companyKey, timezone: 3, name: null, email: null, phone: null });
    expect(await row(u.username)).toEqual(expect.objectContaining({ name: null, email: null, phone: null }));
  });

  it('accepts the bounds of every field', async () => {
    const u = await createUser(h, seeded());
    const email = `${'l'.repeat(60)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com`; // 256 characters
    expect(email).toHaveLength(256);
    const body = { username: u.username, company_key: u.companyKey, name: 'n'.repeat(256), email, phone: '9'.repeat(32), timezone: 12 };
    const res = await h.call('put', URL, { token: u.token, body });
    expect(res.status).toBe(200);
    expect(await row(u.username)).toEqual(expect.objectContaining({ name: 'n'.repeat(256), email, phone: '9'.repeat(32), timezone: 3 }));
    const min = await h.call('put', URL, { token: u.token, body: { username: u.username, company_key: u.companyKey, name: 'Jo', email: 'a@b.c', phone: '12345', timezone: -12 } });
    expect(min.status).toBe(200);
    expect(await row(u.username)).toEqual(expect.objectContaining({ name: 'Jo', email: 'a@b.c', phone: '12345', timezone: 3 }));
  });

  describe('refuses a body off the schema with 400 and leaves the row unchanged', () => {
    const base = (u: TestUser) => ({ username: u.username, company_key: u.companyKey, name: 'Valid Name', email: 'valid@example.com', phone: '+10000000' });
    const bad: [string, (u: TestUser) => unknown][] = [
      ['name of 1 character', (u) => ({ ...base(u), name: 'N' })],
      ['name of 257 characters', (u) => ({ ...base(u), name: 'n'.repeat(257) })],
      ['name not a string', (u) => ({ ...base(u), name: 42 })],
      ['email not an email', (u) => ({ ...base(u), email: 'not-an-email' })],
      ['email without a domain', (u) => ({ ...base(u), email: 'someone@' })],
      ['email too short', (u) => ({ ...base(u), email: 'a@b' })],
      ['email too long', (u) => ({ ...base(u), email: `${'l'.repeat(61)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com` })],
      ['phone of 4 characters', (u) => ({ ...base(u), phone: '1234' })],
      ['phone of 33 characters', (u) => ({ ...base(u), phone: '1'.repeat(33) })],
      ['phone a number', (u) => ({ ...base(u), phone: 71112223333 })],
      ['username off pattern', (u) => ({ ...base(u), username: `${u.username}.x` })],
      ['username too short', (u) => ({ ...base(u), username: 'a' })],
      ['company_key too short', (u) => ({ ...base(u), company_key: 'ab' })],
      ['company_key off pattern', (u) => ({ ...base(u), company_key: 'my company' })],
      ['timezone 13', (u) => ({ ...base(u), timezone: 13 })],
      ['timezone -13', (u) => ({ ...base(u), timezone: -13 })],
      ['timezone 1.5', (u) => ({ ...base(u), timezone: 1.5 })],
      ['timezone a string', (u) => ({ ...base(u), timezone: '3' })],
      ['username missing', (u) => ({ company_key: u.companyKey, name: 'Valid Name' })],
      ['company_key missing', (u) => ({ username: u.username, name: 'Valid Name' })],
      ['unknown extra field', (u) => ({ ...base(u), roles: ['ADMIN'] })],
      ['body an array', (u) => [base(u)]],
      ['body null', () => null],
    ];
    it.each(bad)('%s', async (_what, make) => {
      const u = await createUser(h, seeded());
      const before = await row(u.username);
      const res = await h.call('put', URL, { token: u.token, body: make(u) });
      expect(res.status).toBe(400);
      expectTracedError(res, 'update_info');
      expect(await row(u.username)).toEqual(before);
    });

    it.each([['malformed JSON', '{"username": '], ['empty body', '']])('%s', async (_what, raw) => {
      const u = await createUser(h, seeded());
      const before = await row(u.username);
      const res = await h.call('put', URL, { token: u.token, raw });
      expect(res.status).toBe(400);
      expectTracedError(res, 'update_info');
      expect(await row(u.username)).toEqual(before);
    });
  });

  it('answers 401 without a valid token and changes nothing', async () => {
    const u = await createUser(h, seeded());
    const before = await row(u.username);
    for (const token of [undefined, `${u.token}x`]) {
      const res = await h.call('put', URL, { token, body: { username: u.username, company_key: u.companyKey, name: 'Intruder' } });
      expect(res.status).toBe(401);
      expectTracedError(res, 'update_info');
      expect(res.body.tracedata.client).toBe('anonymous');
    }
    expect(await row(u.username)).toEqual(before);
  });

  it('answers 415 for a body that is not JSON and changes nothing', async () => {
    const u = await createUser(h, seeded());
    const before = await row(u.username);
    for (const [contentType, raw] of [
      ['text/plain', JSON.stringify({ username: u.username, company_key: u.companyKey, name: 'Plain Text' })],
      ['application/x-www-form-urlencoded', `username=${u.username}&company_key=${u.companyKey}&name=Form`],
    ]) {
      const res = await h.call('put', URL, { token: u.token, raw, contentType });
      expect(res.status).toBe(415);
      expectTracedError(res, 'update_info');
    }
    expect(await row(u.username)).toEqual(before);
  });
});
