/**
 * A bearer-token passport strategy that reads the token from the `Authorization: Bearer <token>` header only (RFC 6750
 * section 2.1). passport-http-bearer also takes `?access_token=` and a body field, which puts credentials into URLs,
 * logs and caches: no service here accepts that. `verify` answers the principal, or an ApiError saying why not.
 */
import { Strategy } from 'passport';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors';

export type VerifyBearer<P> = (token: string) => Promise<P | ApiError | undefined>;

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

export class HeaderBearerStrategy<P> extends Strategy {
  override name = 'header-bearer';

  constructor(private readonly verify: VerifyBearer<P>, private readonly invalid = 'Invalid or expired token') {
    super();
  }

  override authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!m) {
      this.fail(new ApiError('unauthorized', header ? 'Malformed Authorization header: expected "Bearer <token>"' : 'Authentication required') as never);
      return;
    }
    this.verify(m[1]).then(
      (result) => {
        if (result instanceof ApiError) this.fail(result as never);
        else if (result === undefined || result === null) this.fail(new ApiError('unauthorized', this.invalid) as never);
        else this.success(result as object);
      },
      (err) => this.error(err as Error),
    );
  }
}
