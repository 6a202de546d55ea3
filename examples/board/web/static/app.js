// The board's page: plain DOM and fetch. The API answers JSON, its errors
// too ({"error": "..."}); the login's errors are plain text. call reads
// both, so every failure reaches the page as a message.
"use strict";

const $ = (id) => document.getElementById(id);
let me = null; // the logged-in user's name, or null

async function call(method, url, body, headers) {
  const res = await fetch(url, { method, body, headers });
  const json = (res.headers.get("Content-Type") || "").startsWith("application/json");
  const data = json ? await res.json() : await res.text();
  if (!res.ok) {
    throw new Error((json ? data.error : data.trim()) || `${res.status} ${res.statusText}`);
  }
  return data;
}

function showError(err) {
  $("error").textContent = err ? err.message : "";
  $("error").hidden = !err;
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
    del.addEventListener("click", () => removePost(p.id).catch(showError));
    li.append(del);
  }
  return li;
}

async function loadPosts() {
  const posts = await call("GET", "/api/posts");
  $("posts").replaceChildren(...posts.map(renderPost));
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
  await call("DELETE", `/api/posts/${id}`);
  await loadPosts();
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
  try {
    const post = await call("POST", "/api/posts",
      JSON.stringify({ text: $("text").value }), { "Content-Type": "application/json" });
    const file = $("file").files[0];
    if (file) {
      const data = new FormData();
      data.append("file", file);
      await call("POST", `/api/posts/${post.id}/attachments`, data);
    }
    form.reset();
    showError(null);
  } catch (err) {
    showError(err);
  }
  await loadPosts().catch(showError);
});

refresh().catch(showError);
