/** SERVICES=b2b alone and together with account: one process, one port, each service with its own bodies. */
import { commands } from '../../handlers/b2b/_admin';
import { passHashOf } from '../../handlers/b2b/_token';
import { startServer } from '../../lib/server';
import { unique } from '../support/harness';
import { header } from './_fixtures';

describe('b2b mounted by the server', () => {
  it('serves b2b alone; other prefixes are not served', async () => {
    const running = await startServer({ port: 0, services: ['b2b'] });
    try {
      const ping = await fetch(`${running.url}/b2b/api/v1/dev/ping?value=1`);
      expect(ping.status).toBe(200);
      expect(((await ping.json()) as { value: string }).value).toBe('1');
      const account = await fetch(`${running.url}/account/system/version`);
      expect(account.status).toBe(404);
      expect(account.headers.get('content-type')).toMatch(/application\/problem\+json/);
    } finally {
      await running.stop();
    }
  });

  it('serves account and b2b side by side, each with its own authentication and errors', async () => {
    const running = await startServer({ port: 0, services: ['account', 'b2b'] });
    try {
      const version = await fetch(`${running.url}/account/system/version`);
      expect(version.status).toBe(200);
      const anonymous = await fetch(`${running.url}/b2b/api/v1/user`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toEqual(expect.objectContaining({ cls: 'Security', type: 'SecurityAuthMissingToken' }));
      const domain = unique('tog');
      await commands['create-domain'].run({ uid: domain, roles: 'USER' }, running.db.sequelize);
      await commands['create-user'].run({ uid: `u@${domain}`, password: 'pw' }, running.db.sequelize);
      const me = await fetch(`${running.url}/b2b/api/v1/user`, { headers: { Authorization: header(`u@${domain}`, passHashOf('pw')) } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { data: Array<{ uid: string }> }).data[0].uid).toBe(`u@${domain}`);
      const bearerOnB2b = await fetch(`${running.url}/b2b/api/v1/user`, { headers: { Authorization: 'Bearer x' } });
      expect(bearerOnB2b.status).toBe(401);
      const arRestOnAccount = await fetch(`${running.url}/account/info`, { headers: { Authorization: header(`u@${domain}`, passHashOf('pw')) } });
      expect(arRestOnAccount.status).toBe(401);
      expect(await arRestOnAccount.json()).toEqual(expect.objectContaining({ tracedata: expect.any(Object) }));
    } finally {
      await running.stop();
    }
  });
});
