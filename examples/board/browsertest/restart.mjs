// Drives the board's page in headless Chromium across a restart of a board
// alone, which loses its posts: the page, opened on a board with a post,
// has read the list but been sent no event, so that its EventSource has no
// ID to reconnect with and is replayed nothing. Once it is back live on the
// new board, it must no longer show the post, which that board does not
// have:
//
//   node restart.mjs URL ID
//
// where ID is the post's. The script asks for the restart: it writes
// "restart" on stdout and waits for "restarted" on stdin. Exit status 0
// means every check passed; otherwise the failure is on stderr.
import { ask, launch, run, timeout } from "./common.mjs";

const [base, id] = process.argv.slice(2);
if (!base || !id) {
  console.error("usage: node restart.mjs URL ID");
  process.exit(2);
}
async function main(dir) {
  const browser = await launch(dir, "profile");
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    const pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(base, { waitUntil: "load" });
    await page.waitForSelector(`#post-${id}`);
    await page.waitForSelector('#live[data-state="live"]');
    await page.evaluate(() => {
      window.notReloaded = true;
      // The states the list's indicator goes through from now on.
      window.states = [];
      const live = document.getElementById("live");
      new MutationObserver(() => window.states.push(live.dataset.state)).observe(live, { attributes: true });
    });

    await ask("restart", "restarted");
    // Back live, after it was not.
    await page.waitForFunction(() => window.states.some((s) => s !== "live") &&
      document.getElementById("live").dataset.state === "live");
    try {
      await page.waitForFunction((id) => !document.getElementById(`post-${id}`), { timeout: 5000 }, id);
    } catch {
      const list = await page.$$eval("#posts li", (lis) => lis.map((li) => li.textContent));
      throw new Error(`back live on the restarted board, the page still shows ${JSON.stringify(list)}, which it lost`);
    }
    if (!await page.evaluate(() => window.notReloaded === true)) throw new Error("the page was reloaded");
    if (pageErrors.length) throw new Error(`script errors: ${pageErrors.join("; ")}`);
    console.log("ok: the page dropped the post the restart lost");
  } finally {
    await browser.close();
  }
}

await run("board-restart-", main);
