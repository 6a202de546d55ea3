package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// apiRow is one request of TestInterface and what must come back. The
// rows run in order against one board, so a row may count on what the
// rows before it did. In path, header values, body and the expected
// values, {name} stands for a value a row before saved (vars).
type apiRow struct {
	name   string
	as     string // whose cookie jar sends it: "" (nobody's), "ann", "bob" or "carol"
	method string
	path   string
	header map[string]string
	body   string // sent as is; see json and form
	json   bool   // body is JSON: Content-Type application/json
	form   bool   // body is URL-encoded
	file   []byte // sent as the multipart/form-data file part "file" (with fileField, another part)
	field  string // the file part's name when not "file"

	status  int
	headers map[string]string // exact values; "?" for any non-empty one
	bodyIs  string            // the whole body, white space around it trimmed
	noBody  bool              // the body is empty
	bodyHas []string
	save    func(t *testing.T, a exampletest.Answer, vars map[string]string)
}

const attText = "hello, board\n"

// TestInterface holds the board to every line of its interface (main.go's
// doc comment), over a real socket with a cookie jar per user.
func TestInterface(t *testing.T) {
	b := startBoard(t)
	users := map[string]*http.Client{"": newUser(t), "ann": newUser(t), "bob": newUser(t), "carol": newUser(t)}
	login(t, users["ann"], b.base, "ann")
	login(t, users["bob"], b.base, "bob")
	vars := map[string]string{"base": b.base}
	eightMiB := bytes.Repeat([]byte("x"), maxAttachmentBytes)

	rows := []apiRow{
		// The page and its assets.
		{name: "page", method: "GET", path: "/", status: 200,
			headers: map[string]string{"Content-Type": "text/html; charset=utf-8", "ETag": "?", "Cache-Control": "no-cache",
				"Content-Security-Policy": sitePolicy, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"},
			bodyHas: []string{`<form id="login" method="post" action="/login">`, `src="/static/app.js"`},
			save:    func(t *testing.T, a exampletest.Answer, v map[string]string) { v["etag"] = a.Header.Get("ETag") }},
		{name: "page not modified", method: "GET", path: "/", header: map[string]string{"If-None-Match": "{etag}"},
			status: 304, headers: map[string]string{"ETag": "{etag}"}, noBody: true},
		{name: "page at its own name", method: "GET", path: "/index.html", status: 200, headers: map[string]string{"ETag": "{etag}"}},
		{name: "page HEAD", method: "HEAD", path: "/", status: 200, headers: map[string]string{"ETag": "{etag}"}, noBody: true},
		{name: "script", method: "GET", path: "/static/app.js", status: 200,
			headers: map[string]string{"Content-Type": "text/javascript; charset=utf-8", "ETag": "?", "X-Content-Type-Options": "nosniff"},
			bodyHas: []string{"fetch("}},
		{name: "style sheet", method: "GET", path: "/static/style.css", status: 200,
			headers: map[string]string{"Content-Type": "text/css; charset=utf-8", "ETag": "?"}},
		{name: "no such asset", method: "GET", path: "/static/nope.js", status: 404},
		{name: "no such page", method: "GET", path: "/nope", status: 404, bodyIs: "404 Not Found"},
		{name: "page is GET only", method: "POST", path: "/", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},

		// Logging in and out.
		{name: "login, wrong password", as: "carol", method: "POST", path: "/login", form: true, body: "user=carol&password=wrong",
			status: 401, headers: map[string]string{"Set-Cookie": "", "WWW-Authenticate": "?"}, bodyHas: []string{"wrong user name or password"}},
		{name: "login, no name", as: "carol", method: "POST", path: "/login", form: true, body: "user=&password=board", status: 401},
		{name: "login, a name too long", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=" + strings.Repeat("c", maxNameBytes+1) + "&password=board", status: 401},
		{name: "login, a control character in the name", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=car%0Aol&password=board", status: 401},
		{name: "login, a name of spaces", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=+++&password=board", status: 401},
		{name: "login, a space before the name", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=+carol&password=board", status: 401},
		{name: "login, a tab after the name", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=carol%09&password=board", status: 401},
		{name: "login, a space inside the name", as: "carol", method: "POST", path: "/login", form: true,
			body: "user=carol+c&password=board", status: 303},
		{name: "logout of carol c", as: "carol", method: "POST", path: "/logout", status: 303},
		{name: "me before login", as: "carol", method: "GET", path: "/api/me", status: 401, bodyIs: `{"error":"log in first"}`},
		{name: "login", as: "carol", method: "POST", path: "/login", form: true, body: "user=carol&password=board",
			status: 303, headers: map[string]string{"Location": "/", "Set-Cookie": "?"},
			save: func(t *testing.T, a exampletest.Answer, v map[string]string) {
				if ck := a.Header.Get("Set-Cookie"); !strings.Contains(ck, "; HttpOnly") || !strings.Contains(ck, "; SameSite=Lax") || strings.Contains(ck, "Secure") {
					t.Errorf("session cookie %q: want HttpOnly, SameSite=Lax, and not Secure over cleartext", ck)
				}
				v["carolCookie"] = strings.SplitN(a.Header.Get("Set-Cookie"), ";", 2)[0]
			}},
		{name: "me", as: "carol", method: "GET", path: "/api/me", status: 200, bodyIs: `{"user":"carol"}`},
		{name: "me by cookie", method: "GET", path: "/api/me", header: map[string]string{"Cookie": "{carolCookie}"}, status: 200, bodyIs: `{"user":"carol"}`},
		{name: "logout", as: "carol", method: "POST", path: "/logout", status: 303, headers: map[string]string{"Location": "/"}},
		{name: "me after logout", as: "carol", method: "GET", path: "/api/me", status: 401},
		{name: "the old cookie after logout", method: "GET", path: "/api/me", header: map[string]string{"Cookie": "{carolCookie}"}, status: 401},
		{name: "me without a session", method: "GET", path: "/api/me", status: 401, bodyIs: `{"error":"log in first"}`},

		// Posts.
		{name: "no posts yet", method: "GET", path: "/api/posts", status: 200,
			headers: map[string]string{"Content-Type": "application/json"}, bodyIs: `[]`},
		{name: "post", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"first"}`, status: 201,
			headers: map[string]string{"Content-Type": "application/json"},
			save:    savePost("p1", `{"id":%s,"user":"ann","text":"first","attachments":[]}`)},
		{name: "post without a session", method: "POST", path: "/api/posts", json: true, body: `{"text":"anonymous"}`, status: 401},
		{name: "post, malformed JSON", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":`, status: 400,
			bodyHas: []string{`{"error":"malformed JSON`}},
		{name: "post, empty text", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"  "}`, status: 400,
			bodyIs: `{"error":"the text is empty"}`},
		{name: "post, no text", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{}`, status: 400,
			bodyIs: `{"error":"the JSON object needs a \"text\" field"}`},
		{name: "post, text not a string", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":1}`, status: 400,
			bodyIs: `{"error":"\"text\" must be a string"}`},
		{name: "post, not an object", as: "ann", method: "POST", path: "/api/posts", json: true, body: `["hello"]`, status: 400,
			bodyIs: `{"error":"send a JSON object: {\"text\": \"...\"}"}`},
		{name: "post, a NUL", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\u0000b"}`, status: 400,
			bodyIs: `{"error":"the text holds the control character U+0000: only line breaks and tabs may be in it"}`},
		{name: "post, an escape sequence", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\u001b[2Jb"}`, status: 400},
		{name: "post, a lone carriage return", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\rb"}`, status: 400},
		{name: "post, DEL", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\u007fb"}`, status: 400},
		{name: "post, a C1 control", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\u0085b"}`, status: 400},
		{name: "post by another", as: "bob", method: "POST", path: "/api/posts", json: true, body: `{"text":"second"}`, status: 201,
			save: savePost("p2", `{"id":%s,"user":"bob","text":"second","attachments":[]}`)},
		{name: "one post", method: "GET", path: "/api/posts/{p1}", status: 200, bodyIs: `{"id":{p1},"user":"ann","text":"first","attachments":[]}`},
		{name: "one post, one URL", method: "GET", path: "/api/posts/0{p1}", status: 404},
		{name: "no such post", method: "GET", path: "/api/posts/99", status: 404, bodyIs: `{"error":"no such post"}`},
		{name: "not a post id", method: "GET", path: "/api/posts/x", status: 404},

		// Attachments.
		{name: "attach", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: []byte(attText), status: 201,
			headers: map[string]string{"Content-Type": "application/json"},
			bodyHas: []string{`{"url":"/attachments/`, `.txt","size":13}`},
			save: func(t *testing.T, a exampletest.Answer, v map[string]string) {
				var att Attachment
				if err := json.Unmarshal([]byte(a.Body), &att); err == nil {
					v["att"] = att.URL
				}
			}},
		{name: "attach exactly 8 MiB", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: eightMiB, status: 201,
			bodyHas: []string{`"size":8388608}`}},
		{name: "attach past 8 MiB", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: append(eightMiB, 'x'), status: 413,
			bodyHas: []string{`{"error":"`}},
		{name: "attach a body past the limit", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: append(eightMiB, eightMiB[:1<<20]...),
			header: map[string]string{"Expect": "100-continue"}, status: 413, bodyHas: []string{`{"error":"`}},
		{name: "attach JSON", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", json: true, body: `{}`, status: 415},
		{name: "attach without a file part", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: []byte("x"), field: "other", status: 400,
			bodyIs: `{"error":"send the file as the multipart/form-data part \"file\""}`},
		{name: "attach to another's post", as: "bob", method: "POST", path: "/api/posts/{p1}/attachments", file: []byte("x"), status: 403},
		{name: "attach without a session", method: "POST", path: "/api/posts/{p1}/attachments", file: []byte("x"), status: 401},
		{name: "attach to no post", as: "ann", method: "POST", path: "/api/posts/99/attachments", file: []byte("x"), status: 404},
		{name: "attachment", method: "GET", path: "{att}", status: 200, bodyIs: strings.TrimSpace(attText),
			headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "ETag": "?", "Content-Length": "13",
				"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
				"Cache-Control": "private, max-age=31536000, immutable"},
			save: func(t *testing.T, a exampletest.Answer, v map[string]string) { v["attEtag"] = a.Header.Get("ETag") }},
		{name: "attachment range", method: "GET", path: "{att}", header: map[string]string{"Range": "bytes=0-4"}, status: 206,
			headers: map[string]string{"Content-Range": "bytes 0-4/13", "Content-Length": "5", "ETag": "{attEtag}"}, bodyIs: "hello"},
		{name: "attachment not modified", method: "GET", path: "{att}", header: map[string]string{"If-None-Match": "{attEtag}"}, status: 304},
		{name: "no such attachment", method: "GET", path: "/attachments/NOPE.txt", status: 404},
		{name: "posts with attachments", method: "GET", path: "/api/posts", status: 200,
			bodyHas: []string{`[{"id":{p1},"user":"ann","text":"first","attachments":[{"url":"{att}","size":13},{"url":"/attachments/`,
				`"size":8388608}]},{"id":{p2},"user":"bob","text":"second","attachments":[]}]`}},

		// Deleting.
		{name: "delete another's post", as: "bob", method: "DELETE", path: "/api/posts/{p1}", status: 403},
		{name: "delete without a session", method: "DELETE", path: "/api/posts/{p1}", status: 401},
		{name: "delete no post", as: "bob", method: "DELETE", path: "/api/posts/99", status: 404},
		{name: "delete", as: "bob", method: "DELETE", path: "/api/posts/{p2}", status: 204, noBody: true},
		{name: "deleted", method: "GET", path: "/api/posts/{p2}", status: 404},

		// What a post may hold.
		{name: "post, lines and tabs", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"a\tb\r\nc\nd"}`, status: 201,
			bodyHas: []string{`"text":"a\tb\nc\nd"`}},
		// The page shows a post as text; the JSON, here and in its event,
		// holds no markup either.
		{name: "post, markup", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"<script>&</script>"}`, status: 201,
			bodyHas: []string{`"text":"\u003cscript\u003e\u0026\u003c/script\u003e"`}},

		// Methods a path does not serve.
		{name: "PUT a post", as: "ann", method: "PUT", path: "/api/posts/{p1}", status: 405,
			headers: map[string]string{"Allow": "DELETE, GET, HEAD, OPTIONS"}, bodyIs: `{"error":"Method Not Allowed"}`},
		{name: "DELETE the posts", as: "ann", method: "DELETE", path: "/api/posts", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS, POST"}},
		{name: "GET attachments", method: "GET", path: "/api/posts/{p1}/attachments", status: 405, headers: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "POST me", as: "ann", method: "POST", path: "/api/me", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
		{name: "GET login", method: "GET", path: "/login", status: 405, headers: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "GET logout", method: "GET", path: "/logout", status: 405, headers: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "PUT an attachment", method: "PUT", path: "{att}", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
		// The same without a session: the method is wrong for anyone.
		{name: "DELETE the posts anonymously", method: "DELETE", path: "/api/posts", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS, POST"}},
		{name: "POST me anonymously", method: "POST", path: "/api/me", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
		{name: "POST a post anonymously", method: "POST", path: "/api/posts/{p1}", status: 405, headers: map[string]string{"Allow": "DELETE, GET, HEAD, OPTIONS"}},
		{name: "DELETE attachments anonymously", method: "DELETE", path: "/api/posts/{p1}/attachments", status: 405, headers: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "POST elsewhere anonymously", method: "POST", path: "/api/nothing", status: 405, headers: map[string]string{"Allow": "GET, HEAD, OPTIONS"}}, // "/" is the GET-only site

		// Requests from another origin, with a valid session cookie.
		{name: "post from another origin", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"forged"}`,
			header: map[string]string{"Origin": "http://evil.example"}, status: 403},
		{name: "post cross-site", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"forged"}`,
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "post same-site", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"forged"}`,
			header: map[string]string{"Sec-Fetch-Site": "same-site"}, status: 403},
		{name: "post from another port of the host", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"forged"}`,
			header: map[string]string{"Origin": "http://127.0.0.1:1"}, status: 403},
		{name: "delete cross-site", as: "ann", method: "DELETE", path: "/api/posts/{p1}", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "attach cross-site", as: "ann", method: "POST", path: "/api/posts/{p1}/attachments", file: []byte("x"),
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "logout cross-site", as: "ann", method: "POST", path: "/logout", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 403},
		{name: "login from another origin", method: "POST", path: "/login", form: true, body: "user=eve&password=board",
			header: map[string]string{"Origin": "http://evil.example"}, status: 403, headers: map[string]string{"Set-Cookie": ""}},
		{name: "still logged in, post not deleted", as: "ann", method: "GET", path: "/api/posts/{p1}", status: 200, bodyHas: []string{`"text":"first"`}},
		{name: "still logged in", as: "ann", method: "GET", path: "/api/me", status: 200, bodyIs: `{"user":"ann"}`},
		{name: "post from the same origin", as: "ann", method: "POST", path: "/api/posts", json: true, body: `{"text":"third"}`,
			header: map[string]string{"Origin": "{base}", "Sec-Fetch-Site": "same-origin"}, status: 201,
			save: savePost("p3", `{"id":%s,"user":"ann","text":"third","attachments":[]}`)},

		// A deleted post's files are deleted with it.
		{name: "delete a post with attachments", as: "ann", method: "DELETE", path: "/api/posts/{p1}", status: 204, noBody: true},
		{name: "its attachment is gone", method: "GET", path: "{att}", status: 404},
	}

	for _, row := range rows {
		if !t.Run(row.name, func(t *testing.T) { row.check(t, users[row.as], b.base, vars) }) {
			t.FailNow() // the rows after it count on it
		}
	}
}

// savePost checks the answer to a new post, whose id the board chose:
// body is its JSON with %s for the id, and Location its URL; it saves the
// id as vars[key].
func savePost(key, body string) func(t *testing.T, a exampletest.Answer, vars map[string]string) {
	return func(t *testing.T, a exampletest.Answer, vars map[string]string) {
		var p Post
		if err := json.Unmarshal([]byte(a.Body), &p); err != nil || p.ID <= 0 {
			t.Fatalf("new post %q: %v", a.Body, err)
		}
		id := strconv.FormatInt(p.ID, 10)
		if want := fmt.Sprintf(body, id); strings.TrimSpace(a.Body) != want {
			t.Errorf("body %q, want %q", a.Body, want)
		}
		if got, want := a.Header.Get("Location"), "/api/posts/"+id; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		vars[key] = id
	}
}

func (row apiRow) check(t *testing.T, c *http.Client, base string, vars map[string]string) {
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	subst := strings.NewReplacer(pairs...).Replace

	header := http.Header{}
	body := []byte(subst(row.body))
	switch {
	case row.json:
		header.Set("Content-Type", "application/json")
	case row.form:
		header.Set("Content-Type", "application/x-www-form-urlencoded")
	case row.file != nil:
		field := row.field
		if field == "" {
			field = "file"
		}
		var ct string
		body, ct = multipartFile(t, field, "hello.txt", row.file)
		header.Set("Content-Type", ct)
	}
	for k, v := range row.header {
		header.Set(k, subst(v))
	}
	target, err := url.JoinPath(base, subst(row.path))
	if err != nil {
		t.Fatal(err)
	}
	a := send(t, c, row.method, target, header, body)

	if a.Status != row.status {
		t.Fatalf("%s %s: %d %q, want %d", row.method, row.path, a.Status, a.Body, row.status)
	}
	for k, want := range row.headers {
		got := a.Header.Get(k)
		if want == "?" && got != "" {
			continue
		}
		if want = subst(want); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if row.noBody && a.Body != "" {
		t.Errorf("body %q, want none", a.Body)
	}
	if got := strings.TrimSpace(a.Body); row.bodyIs != "" && got != subst(row.bodyIs) {
		t.Errorf("body %q, want %q", got, subst(row.bodyIs))
	}
	for _, want := range row.bodyHas {
		if !strings.Contains(a.Body, subst(want)) {
			t.Errorf("body %q does not contain %q", a.Body, subst(want))
		}
	}
	if row.save != nil {
		row.save(t, a, vars)
	}
}

// Posts made at once by several users all arrive, each once, listed
// oldest first: ids one after another, and each user's posts in the
// order sent.
func TestConcurrentPosts(t *testing.T) {
	const users, each = 4, 10
	b := startBoard(t)
	var wg sync.WaitGroup
	for u := range users {
		c := newUser(t)
		name := "user" + strconv.Itoa(u)
		login(t, c, b.base, name)
		wg.Go(func() {
			for i := range each {
				req, err := http.NewRequest("POST", b.base+"/api/posts", strings.NewReader(`{"text":"`+strconv.Itoa(i)+`"}`))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				if a, err := exampletest.Do(c, req); err != nil || a.Status != 201 {
					t.Errorf("%s's post %d: %v %v", name, i, a, err)
					return
				}
			}
		})
	}
	wg.Wait()

	var posts []Post
	a := send(t, newUser(t), "GET", b.base+"/api/posts", nil, nil)
	if err := json.Unmarshal([]byte(a.Body), &posts); err != nil || len(posts) != users*each {
		t.Fatalf("%d posts (%v), want %d", len(posts), err, users*each)
	}
	next := map[string]int{}
	for i, p := range posts {
		if p.ID != posts[0].ID+int64(i) {
			t.Errorf("post %d has id %d, the first %d", i, p.ID, posts[0].ID)
		}
		if p.Text != strconv.Itoa(next[p.User]) {
			t.Errorf("%s's post %q came where %d was due", p.User, p.Text, next[p.User])
		}
		next[p.User]++
	}
}

// What one user can make the board keep is bounded: the posts (the
// newest maxPosts, each older one dropped with its files) and the files
// of a post.
func TestBounds(t *testing.T) {
	b := startBoard(t)
	ann := newUser(t)
	login(t, ann, b.base, "ann")
	attach := func(id int64) exampletest.Answer {
		body, ct := multipartFile(t, "file", "a.txt", []byte("x"))
		return send(t, ann, "POST", b.base+"/api/posts/"+strconv.FormatInt(id, 10)+"/attachments", http.Header{"Content-Type": {ct}}, body)
	}

	first := post(t, ann, b.base, "first")
	var urls []string
	for i := range maxPostAttachments {
		a := attach(first)
		var att Attachment
		if err := json.Unmarshal([]byte(a.Body), &att); a.Status != http.StatusCreated || err != nil {
			t.Fatalf("attachment %d: %v", i, a)
		}
		urls = append(urls, att.URL)
	}
	if a := attach(first); a.Status != http.StatusConflict {
		t.Errorf("attachment %d: %v, want 409", maxPostAttachments+1, a)
	}

	for i := range maxPosts {
		post(t, ann, b.base, strconv.Itoa(i))
	}
	var posts []Post
	a := send(t, newUser(t), "GET", b.base+"/api/posts", nil, nil)
	if err := json.Unmarshal([]byte(a.Body), &posts); err != nil || len(posts) != maxPosts {
		t.Fatalf("GET /api/posts: %d posts (%v), want %d", len(posts), err, maxPosts)
	}
	if posts[0].Text != "0" || posts[maxPosts-1].Text != strconv.Itoa(maxPosts-1) {
		t.Errorf("posts %q to %q kept, want the newest", posts[0].Text, posts[maxPosts-1].Text)
	}
	if a := send(t, newUser(t), "GET", b.base+"/api/posts/"+strconv.FormatInt(first, 10), nil, nil); a.Status != http.StatusNotFound {
		t.Errorf("the oldest post, past %d: %v, want 404", maxPosts, a)
	}
	for _, u := range urls {
		if a := send(t, newUser(t), "GET", b.base+u, nil, nil); a.Status != http.StatusNotFound {
			t.Errorf("%s, of the dropped post: %v, want 404", u, a)
		}
	}
}

// A text of up to maxTextRunes characters is a post however its JSON
// writes it, and one past them a 400 saying so: a client may escape every
// character (Python's json.dumps does by default), six bytes each, and
// twelve for one outside the Basic Multilingual Plane (a surrogate pair),
// so that the body of the longest text the board takes passes 24,000
// bytes.
func TestPostTextLength(t *testing.T) {
	b := startBoard(t)
	ann := newUser(t)
	login(t, ann, b.base, "ann")
	const emoji = `\ud83d\ude00` // U+1F600, escaped as a surrogate pair
	rows := []struct {
		name   string
		text   string // as the JSON string holds it, escapes and all
		status int
		runes  int    // of the post's text when it is made
		err    string // the error's message, for a refusal
	}{
		{"2000 characters as they are", strings.Repeat("é", maxTextRunes), 201, maxTextRunes, ""},
		{"2000 characters escaped", strings.Repeat(`\u00e9`, maxTextRunes), 201, maxTextRunes, ""},
		{"2000 emoji escaped", strings.Repeat(emoji, maxTextRunes), 201, maxTextRunes, ""},
		{"2001 emoji escaped", strings.Repeat(emoji, maxTextRunes+1), 400, 0, "the text is longer than 2000 characters"},
		{"a body past the limit", "a" + strings.Repeat(" ", maxPostBytes), 413, 0, "a post's JSON must fit in 32 KiB"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			body := []byte(`{"text":"` + row.text + `"}`)
			a := send(t, ann, "POST", b.base+"/api/posts", http.Header{"Content-Type": {"application/json"}}, body)
			if a.Status != row.status {
				t.Fatalf("a body of %d bytes: %d %s, want %d", len(body), a.Status, a.Body, row.status)
			}
			if row.status != 201 {
				if want := `{"error":"` + row.err + `"}`; strings.TrimSpace(a.Body) != want {
					t.Errorf("body %s, want %s", a.Body, want)
				}
				return
			}
			var p Post
			if err := json.Unmarshal([]byte(a.Body), &p); err != nil || utf8.RuneCountInString(p.Text) != row.runes {
				t.Errorf("the post holds %d characters (%v), want %d", utf8.RuneCountInString(p.Text), err, row.runes)
			}
		})
	}
}
