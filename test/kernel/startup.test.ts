/** The kernel refuses to start with a registry that does not match its spec, and mounts only the chosen services. */
import { createApp, discoverServices, loadServiceDefinitions } from '../../lib/app';
import type { ServiceDefinition } from '../../lib/service';
import { startServer } from '../../lib/server';

const account = () => loadServiceDefinitions(['account'])[0];

describe('start-up checks', () => {
  it('refuses a service whose registry lacks a handler, naming it', async () => {
    const def = account();
    const { file: _f, ...rest } = def.handlers;
    const broken: ServiceDefinition = { ...def, handlers: rest };
    await expect(createApp({ services: [broken] })).rejects.toThrow(/missing handlers: file/);
  });

  it('refuses a handler for an operation the spec does not have', async () => {
    const def = account();
    const broken: ServiceDefinition = { ...def, handlers: { ...def.handlers, delete_everything: def.handlers.file } };
    await expect(createApp({ services: [broken] })).rejects.toThrow(/handlers without an operation: delete_everything/);
  });

  it('refuses a security scheme without a passport strategy', async () => {
    const def = account();
    await expect(createApp({ services: [{ ...def, strategies: () => ({}) }] })).rejects.toThrow(/no passport strategy for security scheme "BearerAuth"/);
  });

  it('refuses an unknown service name', () => {
    expect(() => loadServiceDefinitions(['nope'])).toThrow(/spec\/nope.yaml does not exist/);
  });

  it('discovers every spec in spec/', () => {
    expect(discoverServices()).toContain('account');
  });

  it('starts on a free port with the chosen services, answers, and drains on stop', async () => {
    const running = await startServer({ port: 0, services: ['account'] });
    try {
      const res = await fetch(`${running.url}/account/system/version`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expect.objectContaining({ major: 6, minor: 20 }));
      const other = await fetch(`${running.url}/b2b/api/v1/user`);
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);
    } finally {
      await running.stop();
    }
    await expect(fetch(`${running.url}/account/system/version`)).rejects.toThrow();
  });
});
