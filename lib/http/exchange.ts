/**
 * One request on its way through the stages (lib/http/pipeline.ts): what each stage learned is written here for the
 * next. The request and response are Node's own (no framework in between); the path and query are split from the
 * request target once, by the pipeline.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation, OpenAPIBackend } from 'openapi-backend';
import type { Sequelize } from 'sequelize';
import { type Passport } from 'passport';
import type { Logger } from '../logger';
import type { ServiceSpec, OperationInfo } from '../spec';
import type { ServiceDefinition } from '../service';
import type { ParsedForm } from '../multipart';

/** A service as the pipeline serves it: its definition, its spec, its openapi-backend instance. */
export interface MountedService {
  def: ServiceDefinition;
  spec: ServiceSpec;
  api: OpenAPIBackend;
  basePath: string;
}

/** What the whole app shares between requests. */
export interface AppContext {
  services: MountedService[];
  passport: InstanceType<typeof Passport>;
  sequelize?: Sequelize;
  validateResponses: boolean;
  bodyLimitBytes: number;
  requestDeadlineMs: number;
  json: { maxDepth: number; maxElements: number };
}

/** The handler's answer, typed per service in lib/service.ts. */
export interface HandlerReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Exchange {
  app: AppContext;
  req: IncomingMessage;
  res: ServerResponse;
  /** the request target's path, as sent (not percent-decoded) */
  path: string;
  /** the query string's parameters (node:querystring: a repeated name gives an array) */
  query: Record<string, string | string[]>;
  requestId: string;
  clientAddress: string;
  startedAt: Date;
  log: Logger;
  /** set by match */
  service?: MountedService;
  operation?: Operation;
  info?: OperationInfo;
  /** the method the operation is looked up with (HEAD is served as GET) */
  method: string;
  pathParams: Record<string, string>;
  /** set by negotiate: acceptable success media types, best first (may be empty: then the handler's default) */
  accepted: string[];
  /** set by body */
  body?: unknown;
  form?: ParsedForm;
  /** what is wrong inside the body (malformed JSON, U+0000), thrown by validate after authentication */
  bodyError?: Error;
  /** set by authenticate */
  principal?: unknown;
  /** set by validate: typed, coerced input */
  input?: { path: Record<string, unknown>; query: Record<string, unknown>; headers: Record<string, string | undefined>; body: unknown };
  locals: Record<string, unknown>;
  /** set by handle */
  reply?: HandlerReply;
  /** the status answered, for the log */
  status: number;
  /** the request deadline passed (answered 503; its unit of work must roll back) */
  expired?: boolean;
  /** what handle does when the deadline passes (drop the database connection of its unit of work) */
  onExpiry?: () => void;
  /** a streamed reply is being written (the deadline no longer applies) */
  streaming?: boolean;
  /** whether the service's recordCall has run for this request */
  recorded?: boolean;
}

/** A stage: does its part of the request or throws an ApiError that the service renders. */
export type Stage = (ex: Exchange) => Promise<void> | void;
