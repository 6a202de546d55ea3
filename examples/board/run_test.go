package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
)

// Flags that cannot work together are refused before anything listens.
// run gets a context already done, so that flags it wrongly accepts make
// it return nil at once rather than serve until the test times out.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-cert", "x.pem"}, "-cert and -key"},
		{[]string{"-key", "x.pem"}, "-cert and -key"},
		{[]string{"-h3"}, "-h3 needs -tls"},
		{[]string{"-tls", "-h2c"}, "-h2c is for a cleartext port"},
		{[]string{"-cert", "x.pem", "-key", "x.pem", "-h2c"}, "-h2c is for a cleartext port"},
		{[]string{"-nats", "nats://127.0.0.1:1", "-nats-embed", "127.0.0.1:0"}, "exclude each other"},
		{[]string{"-nats-embed", "nowhere"}, "-nats-embed"},
		{[]string{"stray"}, "unexpected arguments"},
		{[]string{"-no-such-flag"}, "not defined"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// The protocol flags the examples share: a login, a post, an upload (read
// without blocking, whatever the protocol) and a range of it, and the page,
// over each, the session cookie riding along (Secure or not).
func TestProtocols(t *testing.T) {
	insecure := &tls.Config{InsecureSkipVerify: true}
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		name  string
		args  []string
		rt    func() http.RoundTripper
		proto string
	}{
		{"HTTP/1.1", nil, func() http.RoundTripper { return &http.Transport{} }, "HTTP/1.1"},
		{"h2c", []string{"-h2c"}, func() http.RoundTripper { return h2c }, "HTTP/2.0"},
		{"TLS", []string{"-tls"}, func() http.RoundTripper {
			return &http.Transport{TLSClientConfig: insecure, ForceAttemptHTTP2: true}
		}, "HTTP/2.0"},
		{"HTTP/3", []string{"-tls", "-h3"}, func() http.RoundTripper { return &http3.Transport{TLSClientConfig: insecure} }, "HTTP/3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBoard(t, tc.args...)
			rt := tc.rt()
			t.Cleanup(func() {
				if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
					c.CloseIdleConnections()
				}
				if c, ok := rt.(io.Closer); ok {
					c.Close()
				}
			})
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: rt, Jar: jar, Timeout: 20 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			// A jar sends a Secure cookie over https only: the session
			// cookie says Secure exactly when the login came over TLS.
			if ck := login(t, c, b.base, "ann"); strings.Contains(ck, "; Secure") != strings.HasPrefix(b.base, "https:") {
				t.Errorf("session cookie %q over %s", ck, b.base)
			}
			upload, uploadType := multipartFile(t, "file", "f.txt", []byte("over "+tc.name))
			// The new post's and the upload's URLs, for the steps after
			// them, and the Location of the last answer.
			var postURL, attachment, location string
			steps := []struct {
				method, path string
				header       http.Header
				body         []byte
				status       int
				check        func(body string) bool
			}{
				{"GET", "/api/me", nil, nil, 200, nil},
				{"POST", "/api/posts", http.Header{"Content-Type": {"application/json"}}, []byte(`{"text":"over ` + tc.name + `"}`), 201, func(string) bool {
					postURL = location
					return strings.HasPrefix(postURL, "/api/posts/")
				}},
				{"POST", "{post}/attachments", http.Header{"Content-Type": {uploadType}}, upload, 201, func(body string) bool {
					var att Attachment
					err := json.Unmarshal([]byte(body), &att)
					attachment = att.URL
					return err == nil && att.Size == int64(len("over "+tc.name))
				}},
				{"GET", "{attachment}", http.Header{"Range": {"bytes=0-3"}}, nil, 206, func(body string) bool { return body == "over" }},
				{"GET", "/", nil, nil, 200, func(body string) bool { return strings.Contains(body, "<title>Wharf board</title>") }},
			}
			for _, s := range steps {
				path := strings.NewReplacer("{post}", postURL, "{attachment}", attachment).Replace(s.path)
				req, err := http.NewRequest(s.method, b.base+path, bytes.NewReader(s.body))
				if err != nil {
					t.Fatal(err)
				}
				maps.Copy(req.Header, s.header)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(t, resp.Body)
				resp.Body.Close()
				location = resp.Header.Get("Location")
				if resp.StatusCode != s.status || resp.Proto != tc.proto || s.check != nil && !s.check(body) {
					t.Errorf("%s %s: %s %s %q, want %d over %s", s.method, path, resp.Proto, resp.Status, body, s.status, tc.proto)
				}
			}
		})
	}
}

// Everything the board puts in the temporary directory (attachments, the
// embedded broker's JetStream store, upload spools) is gone once run
// returns.
func TestRemovesItsFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b := startBoard(t, "-nats-embed", "127.0.0.1:0")
	c := newUser(t)
	login(t, c, b.base, "ann")
	id := post(t, c, b.base, "x")
	body, ct := multipartFile(t, "file", "a.txt", []byte("attached"))
	if a := send(t, c, "POST", b.base+"/api/posts/"+strconv.FormatInt(id, 10)+"/attachments", http.Header{"Content-Type": {ct}}, body); a.Status != 201 {
		t.Fatalf("attach: %v", a)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) == 0 {
		t.Fatal("nothing in TMPDIR while running: the test would prove nothing")
	}
	c.CloseIdleConnections()
	if err := b.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if left := leftIn(tmp); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// With -attachments the files go where it says, under the name their URL
// carries, and stay after exit, until the board starts again on the
// directory: its posts are gone, and it removes the files they named.
func TestAttachmentsFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	b := startBoard(t, "-attachments", dir)
	c := newUser(t)
	login(t, c, b.base, "ann")
	id := post(t, c, b.base, "x")
	body, ct := multipartFile(t, "file", "notes.TXT", []byte("attached"))
	a := send(t, c, "POST", b.base+"/api/posts/"+strconv.FormatInt(id, 10)+"/attachments", http.Header{"Content-Type": {ct}}, body)
	if a.Status != 201 {
		t.Fatalf("attach: %v", a)
	}
	c.CloseIdleConnections()
	if err := b.stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() == spoolDir {
			if spooled, err := os.ReadDir(filepath.Join(dir, spoolDir)); err != nil || len(spooled) > 0 {
				t.Errorf("%s holds %v (%v), want nothing once the upload completed", spoolDir, spooled, err)
			}
			continue
		}
		names = append(names, e.Name())
	}
	if len(names) != 1 {
		t.Fatalf("%s holds %v, want the one file", dir, names)
	}
	name := names[0]
	if !strings.HasSuffix(name, ".txt") || !strings.Contains(a.Body, `"/attachments/`+name+`"`) {
		t.Errorf("file %s for answer %s", name, a.Body)
	}
	if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != "attached" {
		t.Errorf("file holds %q (%v)", got, err)
	}

	// A board started again on the directory has none of those posts: it
	// removes their files, and a spool an upload left, and serves them no
	// more; a file of another name stays.
	spool := filepath.Join(dir, spoolDir, "wharf-upload-123")
	other := filepath.Join(dir, "README")
	for _, f := range []string{spool, other} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b = startBoard(t, "-attachments", dir)
	if r := send(t, newUser(t), "GET", b.base+"/attachments/"+name, nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET an earlier run's file: %d, want 404", r.Status)
	}
	for f, want := range map[string]bool{filepath.Join(dir, name): false, spool: false, other: true} {
		if _, err := os.Stat(f); (err == nil) != want {
			t.Errorf("after a restart, %s: %v, want it kept: %v", f, err, want)
		}
	}
}

// An upload still arriving when the board is told to stop does not hold
// the shutdown: it is answered 503 at once (the client may send it again
// to another instance), its spool is removed, and run returns nil. The
// board lets an upload take minutes, longer than its shutdown may wait.
func TestShutdownEndsUploads(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b := startBoard(t)
	c := newUser(t)
	login(t, c, b.base, "ann")
	id := post(t, c, b.base, "x")
	whole, ct := multipartFile(t, "file", "a.bin", bytes.Repeat([]byte("a"), 1<<20))
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequest("POST", b.base+"/api/posts/"+strconv.FormatInt(id, 10)+"/attachments", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(whole))
	req.Header.Set("Content-Type", ct)
	// With Expect: 100-continue the body goes only once the server reads
	// it: when the write below returns, the upload is under way.
	req.Header.Set("Expect", "100-continue")
	answered := make(chan int, 1)
	go func() {
		resp, err := c.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	if _, err := pw.Write(whole[:64<<10]); err != nil {
		t.Fatal(err)
	}
	if err := b.stop(); err != nil {
		t.Fatalf("run: %v, want nil: the upload held the shutdown", err)
	}
	if got := <-answered; got != http.StatusServiceUnavailable {
		t.Errorf("the upload was answered %d, want 503", got)
	}
	if left := leftIn(tmp); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// leftIn lists what dir holds, at any depth.
func leftIn(dir string) []string {
	var left []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if path != dir {
			left = append(left, path)
		}
		return nil
	})
	return left
}

// Only the names upload makes are taken for an earlier run's files.
func TestAttachedName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"FN3HV2EHBOXH7VXJDI55B4ZOX6", true},
		{"FN3HV2EHBOXH7VXJDI55B4ZOX6.txt", true},
		{"FN3HV2EHBOXH7VXJDI55B4ZOX6.tar.gz", false}, // extension keeps the last one alone
		{"FN3HV2EHBOXH7VXJDI55B4ZOX6.TXT", false},    // made lower case
		{"FN3HV2EHBOXH7VXJDI55B4ZOX", false},         // 25 characters
		{"FN3HV2EHBOXH7VXJDI55B4ZOX61", false},       // 27
		{"fn3hv2ehboxh7vxjdi55b4zox6", false},
		{"FN3HV2EHBOXH7VXJDI55B4ZOX1", false}, // 1 is not base32
		{"README", false},
		{".uploads", false},
	} {
		if got := attachedName(tc.name); got != tc.want {
			t.Errorf("attachedName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
