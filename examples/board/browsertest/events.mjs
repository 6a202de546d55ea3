// Drives two users' pages of the board in headless Chromium, one browser
// each, on two instances that share a NATS broker, and checks that posts
// appear live, without a reload, and that a page whose server restarted
// catches up on what was posted while it was away:
//
//   node events.mjs http://A http://B
//
// 1. ann opens B's page and bob A's; both log in and wait until their
//    page follows /events.
// 2. ann posts on B, then bob on A: each post appears on both pages.
// 3. The script asks for B's restart: it writes "restart B" on stdout and
//    waits for "B stopped" on stdin. While ann's page is reconnecting, bob
//    posts on A. It writes "start B" and waits for "B started"; ann's
//    EventSource reconnects to the new B with the ID of the last event it
//    got and shows bob's post from the replay. (The log is the NATS
//    broker's, which A runs, so it survives B's restart.)
//
// Neither page is ever reloaded: a mark set on each window at the start
// must still be there at the end. One browser process per user: two pages
// in one browser ended in "Target closed" on the machine this was written
// on. Exit status 0 means every check passed; otherwise the failure is on
// stderr.
import { ask, launch, run, timeout } from "./common.mjs";

const [baseA, baseB] = process.argv.slice(2);
if (!baseA || !baseB) {
  console.error("usage: node events.mjs URL-A URL-B");
  process.exit(2);
}
// open logs user in on base's page and waits until it follows /events.
async function open(browser, base, user) {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  await page.goto(base, { waitUntil: "load" });
  await page.type("#login input[name=user]", user);
  await page.type("#login input[name=password]", "board");
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#compose:not([hidden])");
  await page.waitForSelector('#live[data-state="live"]');
  await page.evaluate(() => { window.notReloaded = true; });
  return page;
}

async function postOn(page, text) {
  await page.type("#text", text);
  await page.click("#compose button[type=submit]");
}

// shows waits until page lists a post of user with text.
async function shows(page, user, text, who) {
  try {
    await page.waitForFunction((user, text) => [...document.querySelectorAll("#posts li")].some(
      (li) => li.querySelector(".user").textContent === user && li.querySelector(".text").textContent === text,
    ), {}, user, text);
  } catch (err) {
    const list = await page.$$eval("#posts li", (lis) => lis.map((li) => li.textContent));
    throw new Error(`${who}'s page does not show ${user}'s ${JSON.stringify(text)}: it shows ${JSON.stringify(list)} (${err.message})`);
  }
}

async function check(page, who) {
  if (!await page.evaluate(() => window.notReloaded === true)) throw new Error(`${who}'s page was reloaded`);
  const shown = await page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
  if (shown) throw new Error(`${who}'s page shows an error: ${shown}`);
  if (page.errors.length) throw new Error(`script errors on ${who}'s page: ${page.errors.join("; ")}`);
}

async function main(dir) {
  const browsers = [];
  try {
    browsers.push(await launch(dir, "ann"), await launch(dir, "bob"));
    const ann = await open(browsers[0], baseB, "ann");
    const bob = await open(browsers[1], baseA, "bob");
    const stamp = Date.now();

    const first = `live from ann on B ${stamp}`;
    await postOn(ann, first);
    await shows(ann, "ann", first, "ann");
    await shows(bob, "ann", first, "bob");
    const second = `live from bob on A ${stamp}`;
    await postOn(bob, second);
    await shows(bob, "bob", second, "bob");
    await shows(ann, "bob", second, "ann");

    await ask("restart B", "B stopped");
    await ann.waitForSelector('#live:not([data-state="live"])');
    const away = `posted while B was away ${stamp}`;
    await postOn(bob, away);
    await shows(bob, "bob", away, "bob");
    await ask("start B", "B started");
    await shows(ann, "bob", away, "ann");
    await ann.waitForSelector('#live[data-state="live"]');

    await check(ann, "ann");
    await check(bob, "bob");
    console.log("ok: live on both pages, and caught up after B's restart");
  } finally {
    for (const b of browsers) await b.close();
  }
}

await run("board-events-", main);
