/** Version and build id of this deployment: package.json's version, BUILD_ID or the git commit, read once. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { config, projectRoot } from './config';

let cached: { major: number; minor: number; build: string } | undefined;

export function buildInfo() {
  if (cached) return cached;
  const { version } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  const [major, minor] = version.split('.').map(Number);
  let build = config.buildId;
  if (!build) {
    try {
      build = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      build = 'dev';
    }
  }
  cached = { major, minor, build: build.slice(0, 64) || 'dev' };
  return cached;
}
