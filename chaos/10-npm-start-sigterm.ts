/**
 * Finding 10: `npm start` did not pass SIGTERM on. `npm start` in a session of its own (setsid) on a fresh DATA_DIR;
 * a login whose body is still arriving when SIGTERM goes to the npm process (not to the server under it).
 */
import type { Scenario } from './context';
import { Cluster } from './cluster';
import { request } from './http';
import { groupMembers, pidAlive, sleep } from './processes';

const GONE_WITHIN_MS = 15_000;

const scenario: Scenario = {
  id: 10,
  fault: '`npm start` (own session, fresh DATA_DIR): SIGTERM to the npm process while a request is in flight',
  expected: `the request answered; the server drains and stops; within ${GONE_WITHIN_MS / 1000} s no process of the group and no postmaster left`,
  timeoutMs: 180_000,
  async run(ctx) {
    const dataDir = ctx.freshDataDir('npm-start-data');
    const cluster = new Cluster(dataDir);
    const npm = await ctx.server('npm-start', { DATA_DIR: dataDir }, 'npm');
    const version = await request(npm.url, '/account/system/version');
    if (version.status !== 200) throw new Error(`GET /account/system/version answered ${version.status}`);
    const postmaster = cluster.postmasterPid();
    const members = groupMembers(npm.pid);
    const inFlight = request(npm.url, '/account/token/generation', {
      method: 'POST', body: { username: 'nobody_here', password: 'not-the-password' }, trickle: { pieces: 4, overMs: 900 }, timeoutMs: 20_000,
    });
    await sleep(300);
    const t0 = Date.now();
    npm.signal('SIGTERM');
    const answer = await inFlight;
    let left = groupMembers(npm.pid);
    while (Date.now() - t0 < GONE_WITHIN_MS && (left.length || pidAlive(postmaster))) {
      await sleep(100);
      left = groupMembers(npm.pid);
    }
    const goneMs = Date.now() - t0;
    const exit = await Promise.race([npm.exit, sleep(1_000).then(() => undefined)]);
    const pmLeft = pidAlive(postmaster);
    const stopped = npm.logged('stopped');
    const pass = answer.status === 401 && answer.headers.connection === 'close' && left.length === 0 && !pmLeft && stopped;
    return {
      pass,
      observed: `group of ${members.length} processes; in-flight login ${answer.status || answer.error}${answer.headers.connection === 'close' ? ' (Connection: close)' : ''}; `
        + `server ${stopped ? 'logged "stopped"' : 'did NOT log "stopped"'}; npm exited ${exit ? exit.code ?? exit.signal : 'not yet'}; `
        + `${left.length ? `${left.length} processes of the group left` : 'no process of the group left'}, postmaster ${pmLeft ? 'STILL RUNNING' : 'gone'} `
        + `(${goneMs} ms after SIGTERM)`,
      details: [`left: ${left.join(', ')}`, ...npm.tail(8).split('\n')],
    };
  },
};
export default scenario;
