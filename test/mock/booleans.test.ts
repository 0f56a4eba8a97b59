/** The mock reads query booleans as the server does (any letter case) before Prism, which takes only lowercase. */
import { lowercaseBooleans } from '../../lib/mock/server';
import { loadSpec } from '../../lib/spec';

describe('lowercaseBooleans', () => {
  const b2b = loadSpec('b2b');
  const readUser = b2b.operation('read_user')!;
  it('lowercases the values of boolean query parameters only', () => {
    expect(lowercaseBooleans(b2b, readUser, '_detailed=True')).toBe('_detailed=true');
    expect(lowercaseBooleans(b2b, readUser, 'x=TRUE&_detailed=FALSE')).toBe('x=TRUE&_detailed=false');
    expect(lowercaseBooleans(b2b, readUser, '_detailed=yes')).toBe('_detailed=yes');
    expect(lowercaseBooleans(b2b, readUser, '')).toBe('');
  });
  it('leaves operations without boolean parameters alone', () => {
    const account = loadSpec('account');
    expect(lowercaseBooleans(account, account.operation('read_audit')!, 'limit=10&x=True')).toBe('limit=10&x=True');
  });
});
