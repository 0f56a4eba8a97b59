/** Boot: database, migrations, services, HTTP listener; and a graceful stop that drains requests and closes the pool. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientErrorHandler } from './http/client-error';
import type { FrontDoorMode } from './http/front-door';
import { createApp, discoverServices, loadServiceDefinitions } from './app';
import { config } from './config';
import { openDatabase, type Database } from './db';
import type { EmbeddedHandle } from './embedded-pg';
import { logger } from './logger';
import { startJobs } from './jobs';
import { checkSettings } from './settings';
import type { ServiceDefinition } from './service';

export interface RunningServer {
  url: string;
  server: http.Server;
  db: Database;
  services: ServiceDefinition[];
  stop(): Promise<void>;
}

export async function startServer(opts: {
  port?: number; host?: string; services?: string[]; databaseUrl?: string; dataDir?: string; frontDoorMode?: FrontDoorMode;
  /** the embedded cluster, already being started (scripts/server.ts): used when no database URL is given */
  embedded?: Promise<EmbeddedHandle>;
} = {}): Promise<RunningServer> {
  // how long each start-up phase took, from the process's start (LOG_LEVEL=debug)
  const phase = (name: string) => logger.debug({ phase: name, ms: Math.round(performance.now()) }, 'start-up');
  phase('modules loaded');
  const names = opts.services ?? config.services ?? discoverServices();
  const defs = loadServiceDefinitions(names);
  checkSettings(defs);
  phase('services loaded');
  // migrated as the connecting (owner) role; the pool then connects as the least-privilege conformant_app
  const db = await openDatabase({ url: opts.databaseUrl, dataDir: opts.dataDir, migrate: true, embedded: opts.embedded });
  phase('database open');
  try {
    for (const def of defs) await def.init(db.sequelize);
    const lifecycle = { draining: false };
    const { app, services } = await createApp({ services: defs, sequelize: db.sequelize, lifecycle, frontDoorMode: opts.frontDoorMode });
    phase('app built');
    // Node checks headersTimeout/requestTimeout only at each connectionsCheckingInterval (30 s by default): check
    // often enough that a slow client is cut off close to its limit
    const checkEvery = Math.max(250, Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4);
    const server = http.createServer({ connectionsCheckingInterval: checkEvery }, app);
    server.on('clientError', clientErrorHandler(services));
    server.keepAliveTimeout = config.keepAliveTimeoutMs;
    server.headersTimeout = config.headersTimeoutMs;
    server.requestTimeout = config.requestTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? config.port, opts.host ?? config.host, resolve);
    });
    phase('listening');
    for (const def of defs) await def.start?.();
    const jobs = startJobs(db.sequelize, defs.flatMap((d) => d.jobs ?? []), logger);
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
    logger.info({ url, services: names, ...(config.docs ? { front_door: `${url}/` } : {}) }, 'listening');

    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= (async () => {
      // 1. readiness says draining, and every answer from now on closes its connection
      lifecycle.draining = true;
      logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: draining requests');
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      // 2. no new connections; idle keep-alive ones are closed (Node does so in close()); busy ones close after their
      //    answer; 3. done as soon as the last one is gone, or at the grace limit
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.warn('shutdown grace over: closing the connections still open');
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      await jobs.stop();
      for (const def of defs) await def.stop?.().catch((err) => logger.error({ err }, 'service stop failed'));
      await db.close();
      logger.info('stopped');
    })());
    return { url, server, db, services: defs, stop };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}
