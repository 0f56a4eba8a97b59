/** Process configuration, read once from the environment. Nothing secret has a default here. */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the program's modules are: the project itself when it runs through tsx, or the compiled copy that npm start
 * runs (scripts/start.js: .build/<hash>/ inside the project). Modules found by path (handlers, migrations, workers'
 * scripts) are looked for here.
 */
export const codeRoot = path.resolve(__dirname, '..');

/** The project (package.json, spec/, generated/, fixtures/, docs/, .data/): the nearest directory up with a package.json. */
export const projectRoot = ((): string => {
  for (let dir = codeRoot; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return codeRoot;
  }
})();

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase());
}

export const config = {
  get port() { return int('PORT', 8080); },
  get host() { return process.env.HOST || '127.0.0.1'; },
  /** Comma-separated service names to mount; empty = every spec in spec/. */
  get services(): string[] | undefined {
    const s = process.env.SERVICES;
    return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
  },
  get databaseUrl() { return process.env.DATABASE_URL || undefined; },
  get dataDir() { return path.resolve(projectRoot, process.env.DATA_DIR || '.data'); },
  /** behind a proxy the operator controls: the client address is X-Forwarded-For's first hop */
  get trustProxy() { return bool('TRUST_PROXY', false); },
  get validateResponses() { return bool('VALIDATE_RESPONSES', false); },
  /** the front door (landing page, /docs/<service>, /specs/<service>.yaml|.json); false: no routes beside the services' */
  get docs() { return bool('DOCS', true); },
  get logLevel() { return process.env.LOG_LEVEL || 'info'; },
  get bodyLimitBytes() { return int('BODY_LIMIT_BYTES', 10 * 1024 * 1024); },
  /** deepest nesting of a JSON body, and most values in one, checked before it is parsed */
  get jsonMaxDepth() { return int('JSON_MAX_DEPTH', 64); },
  get jsonMaxElements() { return int('JSON_MAX_ELEMENTS', 200_000); },
  get buildId() { return process.env.BUILD_ID || undefined; },
  get shutdownGraceMs() { return int('SHUTDOWN_GRACE_MS', 10_000); },
  /** after SIGTERM, how long readiness says draining before the listener closes (for a load balancer to notice) */
  get shutdownDelayMs() { return int('SHUTDOWN_DELAY_MS', 0); },
  get dbPoolMax() { return int('DB_POOL_MAX', 10); },
  /** how long a request may wait for a pooled database connection */
  get dbAcquireTimeoutMs() { return int('DB_ACQUIRE_TIMEOUT_MS', 5_000); },
  /** longest statement, enforced by PostgreSQL (statement_timeout) and, for a frozen server, by the client */
  get dbStatementTimeoutMs() { return int('DB_STATEMENT_TIMEOUT_MS', 15_000); },
  /** longest a request may take before it is answered 503 and its unit of work rolled back */
  get requestDeadlineMs() { return int('REQUEST_DEADLINE_MS', 30_000); },
  /** slow clients: all headers within (Node's default 60 s), the whole request within (Node's default 300 s) */
  get headersTimeoutMs() { return int('HEADERS_TIMEOUT_MS', 20_000); },
  get requestTimeoutMs() { return int('REQUEST_TIMEOUT_MS', 120_000); },
  /** idle keep-alive sockets are closed after this */
  get keepAliveTimeoutMs() { return int('KEEP_ALIVE_TIMEOUT_MS', 5_000); },
};
