/**
 * What a service adds to its spec for the contract runner (contract/services/<service>.ts): how to authenticate
 * against a deployment, how to make users on our own server (--self), which non-2xx answers valid input may
 * legitimately get, and small request adjustments for business rules the schema cannot say. Everything else comes
 * from the spec.
 */
import type { HttpResponse } from './http';
import type { Operation } from './spec';

/** One request before serialisation. */
export interface RequestParts {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  /** JSON body (serialised with JSON.stringify) */
  body?: unknown;
  /** bytes to send as they are instead of `body` */
  raw?: string;
  /** Content-Type of the body; application/json by default when a body is sent */
  contentType?: string;
}

export interface Session {
  /** headers that satisfy one security scheme of the spec for this operation; undefined when these credentials cannot */
  authHeaders(scheme: string, op: Operation): Record<string, string> | undefined;
  /** headers for credentials named in a scenario step (`auth: {token: ...}` or `auth: {user: ..., password: ...}`) */
  headersFor?(credentials: Record<string, unknown>): Record<string, string>;
  /** variables for scenarios and hooks (user names, passwords, domain ...) */
  vars: Record<string, unknown>;
  /** invalid credentials beyond the generic ones (missing, garbage); each must be refused with 401 or 403 */
  badCredentials?: Array<{ name: string; headers: Record<string, string> }>;
  /** positive cases whose outcome the plugin knows (a login with the right password, a known resource) */
  cases?: PluginCase[];
  /** what this session cannot do, shown in the report (e.g. "no credentials: secured operations skipped") */
  notes?: string[];
}

export interface PluginCase {
  operationId: string;
  name: string;
  request: Partial<RequestParts>;
  /** statuses that pass positive_data_acceptance for this case */
  expect: number[];
  /** 'none' sends no credentials; default: the session's */
  auth?: 'none' | 'default';
}

export interface OperationRules {
  /** non-2xx statuses valid input may legitimately get, each with the documented reason */
  accept?: Record<number, string>;
  /** adjust a valid request to the deployment's business rules; also applied to the base that negatives mutate */
  prepare?(req: RequestParts, session: Session): RequestParts;
  /** at most this many generated cases for the operation (e.g. to stay under a login throttle) */
  budget?: number;
  /** skip every case of the operation, with the reason */
  skip?: string;
}

export interface PluginContext {
  service: string;
  /** base URL of the deployment (requests made here bypass Prism and are not judged) */
  target: string;
  request(method: string, path: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<HttpResponse & { json?: unknown }>;
}

/** Runs one of the service's admin commands (handlers/<service>/_admin.ts) against the --self server's database. */
export type AdminRunner = (command: string, flags: Record<string, string | undefined>) => Promise<unknown>;

export interface ServicePlugin {
  service: string;
  /** --auth kinds this plugin understands, for --help and the README */
  authHelp?: string;
  /** --self: make the users and data the run needs; answers the same map --auth <service>:kind=value would give */
  bootstrap?(admin: AdminRunner, ctx: { tmpDir: string }): Promise<Record<string, string>>;
  /** turn the --auth map (or the bootstrap's) into a session */
  connect?(auth: Record<string, string>, ctx: PluginContext): Promise<Session>;
  operations?: Record<string, OperationRules>;
  /** functions callable from scenario templates, e.g. {{ pass_hash(password) }} */
  functions?: Record<string, (...args: unknown[]) => unknown>;
}

export function definePlugin(p: ServicePlugin): ServicePlugin {
  return p;
}
