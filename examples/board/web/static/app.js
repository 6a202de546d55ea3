// The board's page: plain DOM and fetch. The API answers JSON, its errors
// too ({"error": "..."}); the login's errors are plain text. call reads
// both, so every failure reaches the page as a message.
//
// The list is live: the page follows GET /events with an EventSource,
// opened before it first reads GET /api/posts, and adds each post event's
// post to what it shows, keyed by the post's ID (IDs are unique across
// the instances that share NATS). It shows this instance's posts as they
// were when it read them, plus every post made since on any instance;
// a post made on another instance is not in this one's GET /api/posts,
// so it is shown only while the page stays open. A post deleted anywhere
// is dropped by its "deleted" event.
"use strict";

const $ = (id) => document.getElementById(id);
let me = null; // the logged-in user's name, or null
const shown = new Map(); // post ID -> post, what the list shows

async function call(method, url, body, headers) {
  const res = await fetch(url, { method, body, headers });
  const json = (res.headers.get("Content-Type") || "").startsWith("application/json");
  const data = json ? await res.json() : await res.text();
  if (!res.ok) {
    const err = new Error((json ? data.error : data.trim()) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function showError(err) {
  $("error").textContent = err ? err.message : "";
  $("error").hidden = !err;
}

// failed shows why a request of the logged-in user failed. A 401 means
// that the session ended behind the page's back (a logout in another tab,
// a board alone that restarted): the page reads who is logged in again,
// which shows the login form the message asks for, and drops the Delete
// buttons.
function failed(err) {
  showError(err);
  if (err.status === 401) loadMe().then(render);
}

// Builds an element; children are nodes or strings, which become text, so
// what users wrote is never parsed as HTML.
function el(tag, props, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function renderPost(p) {
  const links = p.attachments.map((a) =>
    el("a", { href: a.url, download: "" }, `${a.url.split("/").pop()} (${a.size} bytes)`));
  const li = el("li", { id: `post-${p.id}` },
    el("span", { className: "user" }, p.user),
    el("p", { className: "text" }, p.text),
    el("div", { className: "attachments" }, ...links));
  if (p.user === me) {
    const del = el("button", { type: "button" }, "Delete");
    del.addEventListener("click", () => removePost(p.id).catch(failed));
    li.append(del);
  }
  return li;
}

function render() {
  const posts = [...shown.values()].sort((a, b) => a.id - b.id);
  $("posts").replaceChildren(...posts.map(renderPost));
}

// show adds or replaces posts in the list.
function show(...posts) {
  for (const p of posts) shown.set(p.id, p);
  render();
}

async function loadPosts() {
  show(...await call("GET", "/api/posts"));
}

// follow opens the event stream. The EventSource reconnects by itself
// after a network error or the end of the stream (a server that shut
// down), sending the ID of the last event it received, and the server
// replays what it missed; having received none, it reads the list anew. It gives up for good on an answer other than a
// stream (a proxy's 502 while no instance is up, say): then a new one is
// opened after a while, with no ID, which replays nothing, and the list
// is read anew, as after a missed event: what the page showed goes (the
// posts deleted meanwhile, whose events it never gets, and those of other
// instances), and this instance's posts come back.
function follow() {
  const es = new EventSource("/events");
  const status = (s) => { $("live").textContent = s; $("live").dataset.state = s; };
  status("connecting");
  // The ID of the last event this EventSource got, which it sends back
  // when it reconnects; "" before any.
  let lastID = "";
  let opened = false;
  es.addEventListener("open", () => {
    // A reconnection with no ID is replayed nothing, and told of no loss:
    // the board cannot know what the page missed (every post, for a board
    // alone that restarted). Read the list anew, as after a missed event.
    if (opened && lastID === "") {
      shown.clear();
      loadPosts().catch(showError);
    }
    opened = true;
    status("live");
  });
  es.addEventListener("post", (ev) => {
    lastID = ev.lastEventId;
    // A post this page shows already (its own, read back with its
    // attachments) is newer than its creation's event.
    const p = JSON.parse(ev.data);
    if (!shown.has(p.id)) show(p);
  });
  es.addEventListener("deleted", (ev) => {
    lastID = ev.lastEventId;
    if (shown.delete(Number(ev.data))) render();
  });
  // The log no longer has events this page did not get: more than it
  // keeps were posted, or it is a new log (a board alone restarted, its
  // posts gone with it, numbering from its own start). Read the list
  // anew.
  es.addEventListener("missed", (ev) => {
    lastID = ev.lastEventId;
    shown.clear();
    loadPosts().catch(showError);
  });
  es.addEventListener("error", () => {
    if (es.readyState !== EventSource.CLOSED) {
      status("reconnecting");
      return;
    }
    status("offline");
    setTimeout(() => {
      shown.clear();
      follow();
      loadPosts().catch(showError);
    }, 5000);
  });
}

async function loadMe() {
  try {
    me = (await call("GET", "/api/me")).user;
  } catch {
    me = null;
  }
  $("me").textContent = me ? `Logged in as ${me}` : "";
  $("logout").hidden = !me;
  $("login").hidden = !!me;
  $("compose").hidden = !me;
}

async function refresh() {
  await loadMe();
  await loadPosts();
}

async function removePost(id) {
  try {
    await call("DELETE", `/api/posts/${id}`);
  } catch (err) {
    // A post this instance does not have came in the event of a post
    // made on another instance. Any other refusal (a session that ended,
    // a board that is shutting down) says what it is.
    if (err.status === 404) {
      throw new Error(`${err.message} here: a post is deleted on the server it was made on`);
    }
    throw err;
  }
  shown.delete(id);
  render();
}

// The login and logout forms work without script too; with it, a wrong
// password shows a message instead of leaving the page.
$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await call("POST", "/login", new URLSearchParams(new FormData(ev.target)));
    ev.target.reset();
    showError(null);
    await refresh();
  } catch (err) {
    showError(err);
  }
});

$("logout").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await call("POST", "/logout");
    await refresh();
  } catch (err) {
    showError(err);
  }
});

$("compose").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const file = $("file").files[0];
  let post;
  try {
    post = await call("POST", "/api/posts",
      JSON.stringify({ text: $("text").value }), { "Content-Type": "application/json" });
  } catch (err) {
    failed(err);
    return;
  }
  show(post); // its event may come later, or, if the stream is down, not at all
  // The post is made: the form is done with, whatever becomes of its
  // file, so that Post, pressed again, does not make it twice.
  form.reset();
  showError(null);
  if (!file) return;
  try {
    const data = new FormData();
    data.append("file", file);
    await call("POST", `/api/posts/${post.id}/attachments`, data);
  } catch (err) {
    const e = new Error(`The post is made, but its file is not attached: ${err.message}`);
    e.status = err.status;
    failed(e);
    return;
  }
  // The event was the post as made: read it again, attachment and all.
  call("GET", `/api/posts/${post.id}`).then((p) => show(p), failed);
});

follow();
refresh().catch(showError);
