'use strict';
/**
 * npm start: scripts/server.ts, run from a compiled copy of the program.
 *
 * Loading the program through tsx costs about 0.25 s of every start (its hook reads every module, node_modules' too,
 * before Node compiles it). This compiles the TypeScript of lib/, handlers/, models/, scripts/ and generated/ once per
 * version of the sources with esbuild (the compiler tsx itself uses, with the same tsconfig), file by file, no
 * bundling, into .build/<hash of the sources>/ inside the project (so that node_modules resolve as from the sources),
 * and runs that. Data files (spec/, generated/*.json, fixtures/, docs/) are still read from the project itself
 * (lib/config.ts: projectRoot is the nearest directory up with a package.json, codeRoot the compiled tree).
 *
 * Several processes starting at once each compile into a directory of their own and rename it into place: the first
 * wins, the others use it. When the project cannot be written (a read-only checkout) or esbuild fails, the start goes
 * on through tsx as before, with a line on stderr saying why.
 *
 * `node scripts/start.js --build` only compiles (what the bench does before it times start-ups).
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const root = path.resolve(__dirname, '..');
const CODE_DIRS = ['lib', 'handlers', 'models', 'scripts', 'generated'];
const BUILD_ROOT = path.join(root, '.build');
/** builds kept beside the current one: a server still running an older version may yet load a module lazily */
const KEEP = 3;

/** Every module of the program: TypeScript to compile, JavaScript (a worker's script, browser assets) to copy. */
function sources() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of CODE_DIRS) walk(path.join(root, d));
  return out.sort();
}

/** The build's name: the sources' contents, the compiler's version and options, and Node's major version. */
function buildKey(files, esbuildVersion) {
  const h = crypto.createHash('sha256');
  h.update(`${esbuildVersion}\0${process.versions.node.split('.')[0]}\0`);
  h.update(fs.readFileSync(path.join(root, 'tsconfig.json')));
  for (const f of files) {
    h.update(`\0${path.relative(root, f)}\0`);
    h.update(fs.readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/** The compiled program's directory, compiled now if this version of the sources has not been. */
function compiled() {
  // without worker threads, buildSync runs the compiler as a child process that has exited when it returns (with
  // them, a compiler service stays beside the server for its lifetime)
  process.env.ESBUILD_WORKER_THREADS = '0';
  const esbuild = require('esbuild');
  delete process.env.ESBUILD_WORKER_THREADS;
  const files = sources();
  const dir = path.join(BUILD_ROOT, buildKey(files, esbuild.version));
  if (fs.existsSync(path.join(dir, 'scripts', 'server.js'))) return dir;

  fs.mkdirSync(BUILD_ROOT, { recursive: true, mode: 0o755 });
  const tmp = fs.mkdtempSync(path.join(BUILD_ROOT, '.tmp-'));
  try {
    esbuild.buildSync({
      entryPoints: files.filter((f) => f.endsWith('.ts')),
      outdir: tmp,
      outbase: root,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    for (const f of files.filter((x) => !x.endsWith('.ts'))) {
      const to = path.join(tmp, path.relative(root, f));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // another process renamed its build of the same sources into place first: use that one
      if (!fs.existsSync(path.join(dir, 'scripts', 'server.js'))) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  prune(dir);
  return dir;
}

/** Drop all but the newest KEEP builds besides `current`, and temporary directories of builds that died. */
function prune(current) {
  const now = Date.now();
  const entries = fs.readdirSync(BUILD_ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ p: path.join(BUILD_ROOT, e.name), tmp: e.name.startsWith('.tmp-'), mtime: fs.statSync(path.join(BUILD_ROOT, e.name)).mtimeMs }));
  const builds = entries.filter((e) => !e.tmp && e.p !== current).sort((a, b) => b.mtime - a.mtime);
  const stale = [...builds.slice(KEEP), ...entries.filter((e) => e.tmp && now - e.mtime > 10 * 60_000)];
  for (const e of stale) fs.rmSync(e.p, { recursive: true, force: true });
}

let dir;
try {
  dir = compiled();
} catch (e) {
  process.stderr.write(`npm start: running through tsx (could not compile into ${BUILD_ROOT}: ${e.message})\n`);
}
if (process.argv.includes('--build')) {
  if (!dir) process.exit(1);
  process.stdout.write(`${path.relative(root, dir)}\n`);
} else if (dir) {
  require(path.join(dir, 'scripts', 'server.js'));
} else {
  require('tsx/cjs');
  require(path.join(root, 'scripts', 'server.ts'));
}
