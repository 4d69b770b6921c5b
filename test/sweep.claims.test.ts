// Run claims: one owner at a time, a dead owner's claim is taken over, and of many processes racing
// for one run (or for one stale claim) exactly one wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimRun, currentOwner, listClaims, liveClaim, ownerAlive } from '../src/sweep/claims.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mat-claims-'));
const DEAD_PID = 2 ** 22 + 12345;
const CLAIMS = fileURLToPath(new URL('../src/sweep/claims.js', import.meta.url));

test('a live claim excludes others; a dead owner\'s claim is taken over; release removes the claims', () => {
  const dir = path.join(tmp(), 'run');
  const me = { host: os.hostname(), pid: process.pid };
  const parent = { host: os.hostname(), pid: process.ppid };
  const first = claimRun(dir, parent);
  assert.ok(first.ok);
  const refused = claimRun(dir, me);
  assert.ok(!refused.ok && refused.owner.pid === process.ppid, 'the live parent holds it');
  first.release();
  assert.deepEqual(listClaims(dir), []);

  fs.writeFileSync(path.join(dir, 'claim-0.json'), JSON.stringify({ host: os.hostname(), pid: DEAD_PID, claimedAt: 'then' }));
  assert.equal(liveClaim(dir), undefined, 'a dead pid on this host is no owner');
  const taken = claimRun(dir, me);
  assert.ok(taken.ok && taken.tookOver?.pid === DEAD_PID);
  assert.deepEqual(listClaims(dir).map((c) => [c.generation, c.pid]), [[0, DEAD_PID], [1, process.pid]]);
  assert.equal(liveClaim(dir)?.pid, process.pid);
  taken.release();
  assert.deepEqual(fs.readdirSync(dir), []);

  assert.equal(ownerAlive({ host: 'another-host.example', pid: DEAD_PID }), true, 'without a job, an owner on another host may be alive');
  assert.equal(ownerAlive(currentOwner()), true);
  assert.equal(ownerAlive({ ...currentOwner(), started: '1' }), false, 'a live pid that started at another time is another process');
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

test('a claim file created but not written yet holds the run for a grace period, then is stale', () => {
  const dir = path.join(tmp(), 'run');
  fs.mkdirSync(dir);
  const me = { host: os.hostname(), pid: process.pid };
  const pending = path.join(dir, 'claim-0.json');
  fs.writeFileSync(pending, '');
  const refused = claimRun(dir, me);
  assert.ok(!refused.ok && refused.owner.incompleteSince !== undefined, 'a fresh, empty claim is its writer\'s');
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(pending, past, past);
  const taken = claimRun(dir, me);
  assert.ok(taken.ok && taken.tookOver?.generation === 0, 'an empty claim a minute old is taken over');
  assert.equal(liveClaim(dir)?.pid, process.pid);
  taken.release();
  assert.deepEqual(fs.readdirSync(dir), []);
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

test('processes racing for one run, free or stale: exactly one wins each time', async () => {
  const root = tmp();
  const racers = 6;
  // Each racer prints the runs it won, then stays alive (its claims live) until every racer has answered.
  const script = `
    import { claimRun } from ${JSON.stringify(CLAIMS)};
    import os from 'node:os';
    const dirs = JSON.parse(process.argv[1]);
    const start = Number(process.argv[2]);
    while (Date.now() < start) {}
    const won = dirs.filter((d) => claimRun(d, { host: os.hostname(), pid: process.pid }).ok);
    process.stdout.write(JSON.stringify(won) + '\\n');
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
  `;
  const dirs = Array.from({ length: 10 }, (_, i) => path.join(root, `run-${i}`));
  // Half the runs start with a stale claim (its owner is gone): the race is then over the takeover.
  for (const d of dirs.slice(5)) {
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'claim-0.json'), JSON.stringify({ host: os.hostname(), pid: DEAD_PID, claimedAt: 'then' }));
  }
  const start = Date.now() + 1500;
  const children = Array.from({ length: racers }, () => spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(dirs), String(start)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  let outputs: string[][];
  try {
    outputs = await Promise.all(children.map((child) => new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.endsWith('\n')) resolve(JSON.parse(out) as string[]);
      });
      child.once('exit', (code) => reject(new Error(`racer exited ${code} before answering`)));
    })));
  } finally {
    // Let every racer go, also when one failed: none may outlive the test.
    for (const child of children) child.stdin!.end();
    await Promise.all(exited);
  }
  const wins = outputs.flat();
  for (const d of dirs) assert.equal(wins.filter((w) => w === d).length, 1, `${path.basename(d)}: one winner`);
  fs.rmSync(root, { recursive: true, force: true });
});
