/**
 * The contract between the kernel and a service: typed handlers derived from generated/<service>.ts, and the
 * ServiceDefinition each handlers/<service>/service.ts exports (spec, handler registry, auth, error renderer, hooks).
 */
import type { Readable } from 'node:stream';
import type { Sequelize } from 'sequelize';
import type { Strategy } from 'passport';
import type { ApiError } from './errors';
import type { JobSpec } from './jobs';
import type { Logger } from './logger';

/** A body that is not JSON-serialised by the kernel: bytes or a stream, with its media type. */
export interface RawBody {
  raw: Buffer | Readable;
  contentType: string;
}

type Defined<T> = [T] extends [undefined] ? Record<string, never> : NonNullable<T>;
type ParamsOf<Op, K extends string> = Op extends { parameters: infer P }
  ? K extends keyof P ? ([P[K]] extends [never | undefined] ? Record<string, never> : Defined<P[K]>) : Record<string, never>
  : Record<string, never>;
type BodyOfRequest<Op> = Op extends { requestBody?: infer RB }
  ? [NonNullable<RB>] extends [never] ? undefined
    : NonNullable<RB> extends { content: infer C } ? C[keyof C] : undefined
  : undefined;
type ResponsesOf<Op> = Op extends { responses: infer R } ? R : never;
type ContentOf<R> = R extends { content: infer C } ? C[keyof C] : undefined;
/** The headers a response documents (openapi-typescript adds an index signature: dropped, so a typo is a type error). */
type HeadersOf<R> = R extends { headers: infer H }
  ? { [K in keyof H as string extends K ? never : K]?: string }
  : Record<string, never>;

/** What a handler receives: validated, coerced, defaults applied. */
export interface OpInput<Op> {
  path: ParamsOf<Op, 'path'>;
  query: ParamsOf<Op, 'query'>;
  headers: Record<string, string | undefined>;
  body: BodyOfRequest<Op>;
}

/** What a handler returns: one documented status and its body. */
export type Reply<Op> = {
  [S in keyof ResponsesOf<Op>]: {
    status: S;
    body: ContentOf<ResponsesOf<Op>[S]> | RawBody;
    /** only headers the spec documents for this status (checked again at run time with response validation) */
    headers?: HeadersOf<ResponsesOf<Op>[S]>;
  };
}[keyof ResponsesOf<Op>];

/** Per-request context given to every handler. */
export interface BaseContext<P, L extends Record<string, unknown> = Record<string, unknown>> {
  principal: P;
  requestId: string;
  operationId: string;
  /** where the request came from (lib/http/client-address.ts), for per-source limits */
  clientAddress: string;
  log: Logger;
  startedAt: Date;
  /** service-scoped per-request state (e.g. a trace code); made by the service's makeLocals */
  locals: L;
  /**
   * the request's unit of work (a Sequelize Transaction): every query of the handler runs in it without passing it,
   * with the principal's tenant set (row-level security); committed before a JSON answer is sent
   */
  transaction?: unknown;
}

export type Handler<Op, Ctx> = (input: OpInput<Op>, ctx: Ctx) => Promise<Reply<Op>>;

/** The registry type: exactly one handler per operationId, checked by the compiler. */
export type HandlerMap<Ops, Ctx> = { [K in keyof Ops]: Handler<Ops[K], Ctx> };

/** Identity helper that types a handler file from its operationId. */
export function handlerFactory<Ops, Ctx>() {
  return <K extends keyof Ops>(_operationId: K, fn: NoInfer<Handler<Ops[K], Ctx>>): Handler<Ops[K], Ctx> => fn;
}

export interface RenderedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

export type Locals = Record<string, unknown>;

export interface ErrorInfo<P = unknown, L extends Locals = Locals> {
  operationId?: string;
  /** only when authentication succeeded */
  principal?: P;
  requestId: string;
  locals: L;
  method: string;
  path: string;
}

export interface CallRecord<P = unknown, L extends Locals = Locals> {
  operationId: string;
  principal: P | undefined;
  status: number;
  startedAt: Date;
  durationMs: number;
  locals: L;
}

/** A handler as the kernel holds it: whatever its operation's types, it takes the input and context it is given. */
export type AnyHandler = (input: never, ctx: never) => Promise<unknown>;

/**
 * A service as the kernel mounts it, typed by its principal P (what its passport strategies authenticate) and its
 * per-request locals L; write it with `defineService<P, L>({...})` so the hooks see those types, not `unknown`.
 */
export interface ServiceDefinition<P = unknown, L extends Locals = Locals> {
  /** file name of spec/<name>.yaml and folder handlers/<name>/ */
  name: string;
  /** the spec, when not spec/<name>.yaml (tests) */
  specFile?: string;
  /** operationId -> handler: the registry handlers/<service>/index.ts, checked complete by the compiler and at start-up */
  handlers: Record<string, AnyHandler>;
  /** security scheme name -> passport strategy; the strategy's success(user) becomes ctx.principal */
  strategies(): Record<string, Strategy>;
  /** renders every failure in the product's own error body */
  renderError(err: ApiError, info: ErrorInfo<P, L>): RenderedError;
  /** binds models to the database; migrations are separate */
  init(sequelize: Sequelize): Promise<void> | void;
  /** per-request locals, created before authentication */
  makeLocals?(req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }): L;
  /**
   * what was done, for an audit trail, written so that no answered call is missing from it: for a reply the handler
   * produced, inside the request's unit of work just before its commit (the record commits with the work or not at
   * all); for a failure, on its own before the error answer is sent. A failure of this hook fails the request.
   */
  recordCall?(record: CallRecord<P, L>): Promise<void>;
  /** the service's settings, checked at start-up (lib/settings.ts) */
  settings?: { check(): string[] };
  /**
   * the tenant whose rows an authenticated request may touch (row-level security, lib/db/unit-of-work.ts); null or
   * absent: the request runs without a tenant (the service's tables are then as open as the database role allows)
   */
  tenantOf?(principal: P): string | null;
  /** false: handlers run without a per-request transaction (default true) */
  unitOfWork?: boolean;
  /** background loops (lib/jobs): started after the server listens, stopped before the pool closes */
  jobs?: JobSpec[];
  /** background work (schedulers); must be safe with several processes on one database */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Types a service definition by its principal and locals (the kernel holds every service as ServiceDefinition). */
export function defineService<P, L extends Locals = Locals>(def: ServiceDefinition<P, L>): ServiceDefinition {
  return def as unknown as ServiceDefinition;
}
