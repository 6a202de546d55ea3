// Drives the board's page in headless Chromium as a user would: log in
// through the form, post a text with a file attached, and see both appear.
// Then it downloads the attachment from inside the page and compares its
// bytes with the file's. A post with a file the board refuses (over 8 MiB)
// is made, and the page clears its form and says the file is not
// attached. Last, it ends the session behind the page's back
// and has the page try to delete the post, then to post: the page says
// why it cannot, and shows the login form again. Then its EventSource
// gives up (a proxy's 502) while a post it shows is deleted: back live, it
// no longer shows it.
//
//   node board.mjs http://127.0.0.1:8080
//
// It launches Debian's Chromium binary itself (CHROMIUM overrides the
// path): /usr/bin/chromium is a shell wrapper that puppeteer cannot drive.
// Exit status 0 means every check passed; otherwise the failure is on
// stderr.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { launch, run, timeout } from "./common.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node board.mjs URL");
  process.exit(2);
}

// Every byte value, so that a download that re-encodes anything shows.
const fileBytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

// loggedOut waits until the page shows what it shows a visitor who is not
// logged in: the login form, and neither the post form, the logout
// button nor a post's Delete button. A page whose session ended must, or
// its user, told to log in, finds no form to do it.
async function loggedOut(page, when) {
  const state = () => page.evaluate(() => ({
    login: !document.getElementById("login").hidden,
    compose: !document.getElementById("compose").hidden,
    logout: !document.getElementById("logout").hidden,
    deletes: document.querySelectorAll("#posts button").length,
  }));
  try {
    await page.waitForFunction(() => !document.getElementById("login").hidden &&
      document.getElementById("compose").hidden && document.getElementById("logout").hidden &&
      document.querySelectorAll("#posts button").length === 0, { timeout: 5000 });
  } catch {
    throw new Error(`${when}, the page shows ${JSON.stringify(await state())}: want the login form alone`);
  }
}

// deletedWhileAway has the page's EventSource give up for good, as it
// does when a proxy answers 502 for a board that is restarting, and a
// post the page shows be deleted meanwhile: the page, which opens a new
// EventSource (with no ID) and reads the list again after a while, must
// drop the post, whose "deleted" event it never got.
async function deletedWhileAway(page) {
  const login = await fetch(`${base}/login`, {
    method: "POST", body: new URLSearchParams({ user: "ann", password: "board" }), redirect: "manual",
  });
  const cookie = (login.headers.get("set-cookie") || "").split(";")[0];
  if (login.status !== 303 || !cookie) throw new Error(`login from node: ${login.status} ${cookie}`);
  const text = `deleted while the page was away ${Date.now()}`;
  const made = await fetch(`${base}/api/posts`, {
    method: "POST", body: JSON.stringify({ text }), headers: { "Content-Type": "application/json", Cookie: cookie },
  });
  if (made.status !== 201) throw new Error(`POST /api/posts from node: ${made.status} ${await made.text()}`);
  const { id } = await made.json();
  await page.waitForSelector(`#post-${id}`);

  let refuse = true;
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    if (refuse && new URL(req.url()).pathname === "/events") {
      req.respond({ status: 502, contentType: "text/plain", body: "502 Bad Gateway\n" });
    } else {
      req.continue();
    }
  });
  // window.stop() ends the stream, as the restart would; the EventSource's
  // reconnection gets the 502, and it gives up.
  await page.evaluate(() => window.stop());
  await page.waitForSelector('#live[data-state="offline"]');
  const gone = await fetch(`${base}/api/posts/${id}`, { method: "DELETE", headers: { Cookie: cookie } });
  if (gone.status !== 204) throw new Error(`DELETE /api/posts/${id} from node: ${gone.status}`);
  refuse = false;
  await page.waitForSelector('#live[data-state="live"]');
  try {
    await page.waitForFunction((id) => !document.getElementById(`post-${id}`), { timeout: 5000 }, id);
  } catch {
    throw new Error(`the page, back live, still shows post ${id}, deleted while it was away`);
  }
  await page.setRequestInterception(false);
}

async function main(dir) {
  const file = join(dir, "bytes.bin");
  await writeFile(file, fileBytes);
  const browser = await launch(dir, "profile");
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    const pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    // The board serves a Content-Security-Policy: what it refuses the
    // page is a bug of the page (or of the policy).
    const refused = [];
    page.on("console", (msg) => {
      if (/Content Security Policy/.test(msg.text())) refused.push(msg.text());
    });

    await page.goto(base, { waitUntil: "load" });
    await page.type("#login input[name=user]", "ann");
    await page.type("#login input[name=password]", "board");
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#compose:not([hidden])");
    const who = await page.$eval("#me", (e) => e.textContent);
    if (who !== "Logged in as ann") throw new Error(`after login the page says ${JSON.stringify(who)}`);

    const text = `hello from Chromium ${Date.now()}`;
    await page.type("#text", text);
    const input = await page.$("#file");
    await input.uploadFile(file);
    await page.click("#compose button[type=submit]");

    const href = await page.waitForFunction((text) => {
      for (const li of document.querySelectorAll("#posts li")) {
        const a = li.querySelector(".attachments a");
        if (li.querySelector(".text").textContent === text && a) return a.getAttribute("href");
      }
      return false;
    }, {}, text).then((h) => h.jsonValue());
    if (!/^\/attachments\/[A-Z2-7]+\.bin$/.test(href)) throw new Error(`attachment link ${href}`);
    const user = await page.$eval(`#posts li:last-child .user`, (e) => e.textContent);
    if (user !== "ann") throw new Error(`the post is by ${JSON.stringify(user)}`);

    const got = await page.evaluate(async (href) => {
      const res = await fetch(href);
      return { status: res.status, bytes: Array.from(new Uint8Array(await res.arrayBuffer())) };
    }, href);
    if (got.status !== 200) throw new Error(`GET ${href}: ${got.status}`);
    if (!fileBytes.equals(Buffer.from(got.bytes))) {
      throw new Error(`GET ${href}: ${got.bytes.length} bytes, not the ${fileBytes.length} uploaded`);
    }

    const shown = await page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
    if (shown) throw new Error(`the page shows an error: ${shown}`);
    if (pageErrors.length) throw new Error(`script errors: ${pageErrors.join("; ")}`);
    if (refused.length) throw new Error(`refused by the page's policy: ${refused.join("; ")}`);

    // A file the board refuses (over 8 MiB) with a post that it takes: the
    // post is made, and the page says that its file is not, and clears
    // the form, so that Post, pressed again, does not make it twice.
    const big = join(dir, "big.bin");
    await writeFile(big, Buffer.alloc(9 << 20));
    const bigText = `with a file too big ${Date.now()}`;
    await page.type("#text", bigText);
    await (await page.$("#file")).uploadFile(big);
    await page.click("#compose button[type=submit]");
    const bigRefusal = await page.waitForFunction(() => {
      const e = document.getElementById("error");
      return !e.hidden && e.textContent;
    }).then((h) => h.jsonValue());
    const left = await page.evaluate(() => ({ text: document.getElementById("text").value, files: document.getElementById("file").files.length }));
    if (left.text !== "" || left.files !== 0 || !bigRefusal.startsWith("The post is made, but its file is not attached: ")) {
      throw new Error(`after a post whose file was refused, the page says ${JSON.stringify(bigRefusal)} and its form holds ${JSON.stringify(left)}: want it empty`);
    }
    // A post that goes clears the message.
    await page.type("#text", "and one without a file");
    await page.click("#compose button[type=submit]");
    await page.waitForSelector("#error[hidden]");

    // The session ends behind the page's back (a logout in another tab of
    // this browser): the board refuses to delete the post "log in first",
    // and the page says just that, not that the post was made elsewhere.
    await page.evaluate(() => fetch("/logout", { method: "POST" }));
    await page.click("#posts li:last-child button");
    const refusal = await page.waitForFunction(() => {
      const e = document.getElementById("error");
      return !e.hidden && e.textContent;
    }).then((h) => h.jsonValue());
    if (refusal !== "log in first") {
      throw new Error(`deleting once the session ended, the page says ${JSON.stringify(refusal)}, want "log in first"`);
    }
    await loggedOut(page, "after the refused deletion");
    // The same for a post: log in again, end the session, post.
    await page.type("#login input[name=user]", "ann");
    await page.type("#login input[name=password]", "board");
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#compose:not([hidden])");
    await page.evaluate(() => fetch("/logout", { method: "POST" }));
    await page.type("#text", "posted once the session ended");
    await page.click("#compose button[type=submit]");
    const refused2 = await page.waitForFunction(() => {
      const e = document.getElementById("error");
      return !e.hidden && e.textContent;
    }).then((h) => h.jsonValue());
    if (refused2 !== "log in first") {
      throw new Error(`posting once the session ended, the page says ${JSON.stringify(refused2)}, want "log in first"`);
    }
    await loggedOut(page, "after the refused post");

    await deletedWhileAway(page);
    console.log(`ok: posted ${JSON.stringify(text)} with ${href}`);
  } finally {
    await browser.close();
  }
}

await run("board-browser-", main);
