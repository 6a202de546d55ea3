// What the browser scripts share: how Chromium is launched, the talk with
// the Go test on stdin and stdout, and the run of a script's main in a
// temporary directory that is removed afterwards.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

// Debian's Chromium binary (CHROMIUM overrides the path): /usr/bin/chromium
// is a shell wrapper that puppeteer cannot drive.
export const chromium = process.env.CHROMIUM || "/usr/lib/chromium/chromium";
export const timeout = 30_000;

// launch starts a headless Chromium with a profile of its own, dir/name:
// one browser process per simulated user, since two pages in one browser
// ended in "Target closed" on the machine this was written on.
export function launch(dir, name) {
  return puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: join(dir, name),
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

// The lines the test writes on stdin, in order; read from the first ask.
let stdin;

// ask writes what on stdout, a request to the test, and waits for its
// answer on stdin, which must be answer.
export async function ask(what, answer) {
  stdin ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  console.log(what);
  const { value, done } = await stdin.next();
  if (done || value !== answer) throw new Error(`asked "${what}", got ${done ? "the end of stdin" : JSON.stringify(value)}`);
}

// run calls main with a temporary directory, removed afterwards: exit
// status 0 means every check passed; otherwise the failure is on stderr.
export async function run(prefix, main) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await main(dir);
  } catch (err) {
    console.error(err && err.stack ? err.stack : err);
    process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
    process.stdin.destroy();
  }
}
