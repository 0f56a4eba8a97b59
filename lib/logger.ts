/**
 * Structured JSON logs; credentials and tokens are redacted wherever they appear in a logged object, and an error is
 * logged as its kind, message, database error code and stack only: never the SQL of a failed statement nor its
 * parameters (request data, ciphertexts), which database errors carry.
 */
import pino from 'pino';
import { config } from './config';

interface LoggedError { name?: string; message?: string; code?: string; stack?: string; original?: { code?: string }; parent?: { code?: string } }

export function serializeError(err: unknown): Record<string, unknown> {
  if (!err || typeof err !== 'object') return { message: String(err) };
  const e = err as LoggedError;
  const code = e.code ?? e.original?.code ?? e.parent?.code;
  return { type: e.name ?? 'Error', message: e.message, ...(code ? { code } : {}), stack: e.stack };
}

export const logger = pino({
  level: process.env.NODE_ENV === 'test' && !process.env.LOG_LEVEL ? 'silent' : config.logLevel,
  base: { pid: process.pid },
  serializers: { err: serializeError },
  redact: {
    paths: [
      'req.headers.authorization', 'headers.authorization', 'authorization',
      '*.password', '*.new_password', '*.current_password', '*.pass_hash', '*.token', 'password', 'token',
      '*.sql', '*.parameters', 'sql', 'parameters',
    ],
    censor: '[redacted]',
  },
});
export type Logger = typeof logger;
