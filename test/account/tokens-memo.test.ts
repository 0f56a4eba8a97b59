import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { tokenClaims } from '../../handlers/account/_tokens';

const key = crypto.createSecretKey(Buffer.from('memo-test-secret-memo-test-secret', 'utf8'));
const sign = (ttl: number, k = key) => jwt.sign({ sub: 'u', ck: 'c', roles: [], ep: 1 }, k, { algorithm: 'HS256', expiresIn: ttl, issuer: 'conformant-account' });

describe('verified-token memo (_tokens.ts tokenClaims)', () => {
  afterEach(() => jest.restoreAllMocks());

  test('a verified token is answered again until its exp, then refused, memo or not', () => {
    const token = sign(60);
    const t0 = Date.now();
    expect(tokenClaims(token, key)?.sub).toBe('u');
    const exp = (jwt.decode(token) as { exp: number }).exp;
    jest.spyOn(Date, 'now').mockReturnValue(exp * 1000 - 1);
    expect(tokenClaims(token, key)?.sub).toBe('u');
    jest.spyOn(Date, 'now').mockReturnValue(exp * 1000);
    expect(tokenClaims(token, key)).toBeUndefined();
    jest.spyOn(Date, 'now').mockReturnValue(t0);
    expect(tokenClaims(token, key)?.sub).toBe('u'); // the memo holds the claims, not a verdict frozen in time
  });

  test('a forged or differently keyed token is refused, and a refusal is not remembered as a success', () => {
    const other = crypto.createSecretKey(Buffer.from('another-secret-another-secret-xx', 'utf8'));
    const forged = sign(60, other);
    expect(tokenClaims(forged, key)).toBeUndefined();
    expect(tokenClaims(forged, key)).toBeUndefined();
    const good = sign(60);
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(tokenClaims(tampered, key)).toBeUndefined();
  });

  test('a token of another issuer or algorithm is refused', () => {
    expect(tokenClaims(jwt.sign({ sub: 'u' }, key, { algorithm: 'HS256', expiresIn: 60, issuer: 'elsewhere' }), key)).toBeUndefined();
    expect(tokenClaims(jwt.sign({ sub: 'u' }, key, { algorithm: 'HS512', expiresIn: 60, issuer: 'conformant-account' }), key)).toBeUndefined();
  });
});
