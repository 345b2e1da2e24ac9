/**
 * Runs as the project's `postinstall` (also by hand: `node patches/postgres-driver.mjs`;
 * `--check` only reports whether the installed package is patched).
 *
 * postgres.js 3.4.9 (the latest release) lets a reserved connection (`sql.reserve()`) and a
 * transaction (`sql.begin()`, which every drizzle `db.transaction` uses) keep writing to their
 * connection after its backend died. The socket is null by then, so the write throws from a
 * setImmediate callback (`nextWrite`), an uncaught exception that kills the process
 * (porsager/postgres#1208). On every immediate PostgreSQL restart this took down our workers
 * twice over: the relay's reserved connection died while idle and its next batch was written
 * to it, and a consumer batch whose transaction was in flight made postgres.js write its own
 * ROLLBACK to the dead connection, which no caller-side care can avoid.
 *
 * The patch binds a reservation and a transaction to the session they started on:
 * - a query on a reservation or transaction whose connection closed rejects with
 *   CONNECTION_CLOSED instead of being written, and queries queued behind it are rejected too
 *   (so nothing waits forever);
 * - `release()` of a reservation whose connection closed does nothing: the pool already took the
 *   connection back (putting it in the open queue made the next query hit the dead socket);
 * - `closed()` drops a pending write buffer and its timer, so the next session's startup
 *   message is not appended to a cancelled write and left unsent (a stale timer made every
 *   later connect on that connection hang until connect_timeout); and it forgets the query
 *   that died with the session and the server's last error (after an immediate shutdown the
 *   stale "terminating connection" error was handed to the first query of the next session);
 *   and it rejects the queries still waiting on the session after a socket error too: a reset
 *   reaches the client as an error before the close, a transaction sends its ROLLBACK in
 *   between, and that ROLLBACK, never answered, stayed first in line on the next session, which
 *   took the next query's answers for it (that query, and the connection, hung for good);
 * - `nextWrite()` with no socket settles the connection's queries with CONNECTION_CLOSED
 *   instead of throwing from a timer: a last guard, not reached by any path known to us.
 *
 * A transaction's BEGIN claims its connection (`onexecute`) only if the connection can take
 * another query after it (porsager/postgres#1189). Under load the pool pipelines up to `max_pipeline` (100) queries on
 * one connection, and when the BEGIN was the query that filled it (or its write met a full
 * socket buffer) the claim was skipped: the BEGIN's answer then failed the transaction with
 * UNSAFE_TRANSACTION (an order or a warehouse callback answered 500), and the server session,
 * left inside the transaction that BEGIN opened, went back to the pool, so later queries of
 * anyone ran in a transaction nobody would commit. The patch claims the connection whenever
 * the BEGIN was sent, and still reports the connection as unable to take more.
 *
 * One more dangling promise kills a process on a restart (porsager/postgres#1192, #1205): each
 * new connection first looks up the array types (`fetch_types`), and `ReadyForQuery` drops the
 * lookup's promise. When the connection dies during the lookup, that promise rejects with
 * nobody listening. The patch catches it; nothing is lost by that, as the connection's error
 * already reaches the query waiting for the connection (or the server's refusal of the lookup
 * leaves that query to run as usual).
 *
 * Plain text replacements, each of which must match exactly once; a file already patched is
 * left alone, and any other postgres version fails the install, so an upgrade re-checks each issue.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PATCHED_VERSION = '3.4.9';
// The marker names the patch's revision: a file patched by an earlier revision lacks this one's changes.
export const PATCH_MARKER = 'conveyor: dead-connection writes, array-type lookups and transactions on a full pipeline patched (porsager/postgres#1208, #1192; revision 3)';
const EARLIER_MARKER_PREFIX = 'conveyor: dead-connection writes';

const indexReplacements = [
  {
    what: 'reserve(): bind the reservation to its connection session',
    find: `    c.reserved.release = true

    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      c.queue === full`,
    replace: `    c.reserved.release = true
    const reservation = c.reserved
    reservation.onclose = e => { while (queue.length) queue.shift().reject(e) }

    const sql = Sql(handler)
    sql.release = () => {
      if (c.reserved !== reservation)
        return
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      if (c.reserved !== reservation)
        return q.reject(Errors.connection('CONNECTION_CLOSED', options))
      c.queue === full`,
  },
  {
    what: 'begin(): remember that the transaction connection closed',
    find: `      , connection
      , prepare = null

    try {`,
    replace: `      , connection
      , prepare = null
      , closedError = null

    try {`,
  },
  {
    what: 'begin(): on close, reject the queued queries as well as the transaction',
    find: `        new Promise((_, reject) => connection.onclose = reject)`,
    replace: `        new Promise((_, reject) => connection.onclose = e => {
          closedError = e
          while (queries.length) queries.shift().reject(e)
          reject(e)
        })`,
  },
  {
    what: 'begin(): never write a query (or its own rollback) to a closed transaction connection',
    find: `        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full`,
    replace: `        q.catch(e => uncaughtError || (uncaughtError = e))
        if (closedError)
          return q.reject(closedError)
        c.queue === full`,
  },
  {
    what: 'onclose(): tell the reservation before forgetting it',
    find: `  function onclose(c, e) {
    move(c, closed)
    c.reserved = null`,
    replace: `  function onclose(c, e) {
    move(c, closed)
    c.reserved && c.reserved.onclose && c.reserved.onclose(e)
    c.reserved = null`,
  },
];

const connectionReplacements = [
  {
    what: 'execute(): bind a transaction to the connection its BEGIN went to, even when that BEGIN fills the connection',
    find: `      build(q)
      return write(toBuffer(q))
        && !q.describeFirst
        && !q.cursorFn
        && sent.length < max_pipeline
        && (!q.options.onexecute || q.options.onexecute(connection))`,
    replace: `      build(q)
      const ready = write(toBuffer(q))
        && !q.describeFirst
        && !q.cursorFn
        && sent.length < max_pipeline
      q.options.onexecute && q.options.onexecute(connection)
      return ready && !q.options.onexecute`,
  },
  {
    what: 'ReadyForQuery: a failed array-type lookup is not an unhandled rejection',
    find: `        initial.reserve && (initial = null)
        return fetchArrayTypes()`,
    replace: `        initial.reserve && (initial = null)
        return fetchArrayTypes().catch(noop)`,
  },
  {
    what: 'nextWrite(): settle instead of throwing from a timer when the socket is gone',
    find: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    replace: `  function nextWrite(fn) {
    if (!socket) {
      clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
  {
    what: 'closed(): drop a write cancelled by the close and the dead query\'s error, so the next session starts clean',
    find: `    incomings = null
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)`,
    replace: `    incomings = null
    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = errorResponse = null
    socket.removeListener('data', data)`,
  },
  {
    what: 'closed(): reject every query still waiting on the session, also after a socket error, and forget the one that died with it',
    find: `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
`,
    replace: `    if (query || sent.length)
      error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = null
`,
  },
];

/** Applies the replacements to one file's text; throws unless each matches exactly once. */
export function patchSource(text, replacements, file) {
  if (text.includes(PATCH_MARKER)) return { text, changed: false };
  if (text.includes(EARLIER_MARKER_PREFIX)) {
    throw new Error(`${file} carries an earlier revision of this patch: reinstall postgres (rm -rf node_modules/postgres && npm ci)`);
  }
  let patched = text;
  for (const { what, find, replace } of replacements) {
    const count = patched.split(find).length - 1;
    if (count !== 1) throw new Error(`${file}: expected the code for "${what}" once, found it ${count} times`);
    patched = patched.replace(find, () => replace);
  }
  return { text: `// ${PATCH_MARKER}\n${patched}`, changed: true };
}

const FILES = ['index.js', 'connection.js'];
// src: ESM (tsx, vitest); cjs: require (Next.js server externals); cf: Cloudflare build, kept in step.
const VARIANTS = ['src', 'cjs/src', 'cf/src'];

export function patchPostgresDriver(packageDir) {
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  if (version !== PATCHED_VERSION) {
    throw new Error(
      `postgres ${version} is installed, but patches/postgres-driver.mjs was written for ${PATCHED_VERSION}. ` +
        'Check whether porsager/postgres#1208 is fixed in it, then update or remove the patch.',
    );
  }
  const changed = [];
  for (const variant of VARIANTS) {
    for (const name of FILES) {
      const file = path.join(packageDir, variant, name);
      if (!existsSync(file)) throw new Error(`${file} is missing`);
      const result = patchSource(readFileSync(file, 'utf8'), name === 'index.js' ? indexReplacements : connectionReplacements, file);
      if (result.changed) {
        writeFileSync(file, result.text);
        changed.push(path.join(variant, name));
      }
    }
  }
  return changed;
}

/** Files of the installed package that lack the patch (e.g. after `npm ci --ignore-scripts`). */
export function unpatchedFiles(packageDir) {
  return VARIANTS.flatMap((variant) => FILES.map((name) => path.join(variant, name))).filter(
    (file) => !readFileSync(path.join(packageDir, file), 'utf8').includes(PATCH_MARKER),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const packageDir = fileURLToPath(new URL('../node_modules/postgres', import.meta.url));
  if (process.argv.includes('--check')) {
    const missing = unpatchedFiles(packageDir);
    if (missing.length) {
      console.error(`postgres.js is not patched (${missing.join(', ')}): run \`node patches/postgres-driver.mjs\` or \`npm ci\` with scripts on`);
      process.exit(1);
    }
    console.log('postgres.js: patched (porsager/postgres#1208, #1192, #1189)');
  } else {
    let changed;
    try {
      changed = patchPostgresDriver(packageDir);
    } catch (error) {
      // One line for the install log (another postgres version, a file that no longer matches), not a stack trace.
      console.error(`postgres.js patch: ${error.message}`);
      process.exit(1);
    }
    console.log(
      changed.length
        ? `postgres.js: patched ${changed.join(', ')} (porsager/postgres#1208, #1192, #1189)`
        : 'postgres.js: already patched (porsager/postgres#1208, #1192, #1189)',
    );
  }
}
