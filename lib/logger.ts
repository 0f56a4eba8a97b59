/** Structured JSON logs; credentials and tokens are redacted wherever they appear in a logged object. */
import pino from 'pino';
import { config } from './config';

export const logger = pino({
  level: process.env.NODE_ENV === 'test' && !process.env.LOG_LEVEL ? 'silent' : config.logLevel,
  base: { pid: process.pid },
  redact: {
    paths: [
      'req.headers.authorization', 'headers.authorization', 'authorization',
      '*.password', '*.new_password', '*.current_password', '*.pass_hash', '*.token', 'password', 'token',
    ],
    censor: '[redacted]',
  },
});
export type Logger = typeof logger;
