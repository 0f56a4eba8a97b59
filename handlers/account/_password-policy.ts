/**
 * The password rule of new passwords (change_password and the create-user command), after NIST SP 800-63B
 * (5.1.1.2): at least 8 characters, long passphrases welcome (up to 1000, the spec's maximum), any Unicode, no
 * composition rules; refused are the account's username, a single repeated character or a run such as 12345678 or
 * abcdefgh, and the commonest passwords of breach corpora (a small embedded list, compared without case).
 * Passwords that were stored before the rule keep working for logins.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1000;

/** The commonest passwords of at least eight characters in public breach corpora (compared in lower case). */
const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', 'password!', 'passw0rd', 'p@ssw0rd', 'p@ssword',
  'pa$$word', 'passwort', 'motdepasse', 'contraseña', 'contrasena', 'parola123', 'senha123', 'haslo123',
  '12345678', '123456789', '1234567890', '0123456789', '123123123', '12341234', '11223344', '12121212', '11112222',
  '87654321', '987654321', '0987654321', '147258369', '123654789', '147852369', '159753123', '123qweasd',
  'qwertyui', 'qwertyuiop', 'qwerty123', 'qwerty12', 'qwerty1234', 'qwertz123', 'azertyuiop', 'azerty123',
  '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx', '1qaz2wsx3edc', 'zaq12wsx', 'zaq1zaq1', 'qazwsxedc',
  'q1w2e3r4', 'q1w2e3r4t5', 'a1b2c3d4', 'aa123456', 'abc12345', 'abcd1234', 'abc123456', 'asdfghjkl', 'asdf1234',
  'zxcvbnm1', 'zxcvbnm123', 'iloveyou', 'iloveyou1', 'iloveyou2', 'sunshine', 'sunshine1', 'princess', 'princess1',
  'football', 'football1', 'baseball', 'basketball', 'superman', 'batman123', 'starwars', 'pokemon123',
  'welcome1', 'welcome123', 'letmein1', 'letmein123', 'trustno1', 'whatever', 'computer', 'internet', 'michelle',
  'jennifer', 'jordan23', 'liverpool', 'chelsea1', 'arsenal1', 'master123', 'dragon123', 'monkey123', 'shadow123',
  'admin123', 'admin1234', 'administrator', 'root1234', 'changeme', 'changeme1', 'default1', 'secret123',
  'test1234', 'testtest', 'guest123', 'user1234', 'login123', 'access14', 'mustang1', 'charlie1', 'freedom1',
  'hello123', 'helloworld', 'blink182', 'michael1', 'nicole12', 'jessica1', 'daniel12', 'lovely123', 'loveyou1',
  'mypassword', 'mypass123', 'newpassword', 'pass1234', 'passpass', 'password2', 'password01', 'qwerty11',
  'google123', 'samsung1', 'iloveyou!', 'princesa', 'tinkerbell', 'spongebob', 'butterfly', 'babygirl1',
  'cheese123', 'summer2024', 'summer2025', 'summer2026', 'winter2024', 'winter2025', 'winter2026',
  'spring2025', 'spring2026', 'autumn2025', 'autumn2026', 'january1', 'december1',
]);

/** ascending or descending runs of digits or letters, e.g. 12345678, 87654321, abcdefgh */
function isRun(chars: string[]): boolean {
  const codes = chars.map((c) => c.codePointAt(0)!);
  const step = codes[1] - codes[0];
  if (step !== 1 && step !== -1) return false;
  if (!chars.every((c) => /[0-9]/.test(c)) && !chars.every((c) => /[a-z]/.test(c))) return false;
  return codes.every((c, i) => i === 0 || c - codes[i - 1] === step);
}

/** What is wrong with a new password for this account, or undefined when it may be used. */
export function passwordProblem(password: string, username: string): string | undefined {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (chars.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) return 'must not be the username';
  if (chars.every((c) => c === chars[0])) return 'must not be one character repeated';
  if (isRun([...lower])) return 'must not be a run of consecutive characters';
  if (COMMON.has(lower)) return 'is one of the most common passwords';
  return undefined;
}
