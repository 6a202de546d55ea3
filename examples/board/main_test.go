package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instance is one board running in-process, as `go run ./examples/board`
// runs it, on 127.0.0.1:0.
type instance struct {
	base string
	stop func() error
}

func startBoard(t *testing.T, args ...string) instance {
	t.Helper()
	base, stopOnce := exampletest.RunCommand(t, run, args...)
	stop := sync.OnceValue(stopOnce) // a test may stop it before its cleanup does
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("run returned %v, want nil", err)
		}
	})
	return instance{base: base, stop: stop}
}

// newUser returns a client with a cookie jar of its own that sees
// redirects instead of following them, as the tests check the 303s.
func newUser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := exampletest.NewClient(t)
	// A request with Expect: 100-continue waits for the server's word
	// before sending its body, so that a body refused unread (a 413 by
	// its Content-Length) is answered instead of cut off.
	c.Transport.(*http.Transport).ExpectContinueTimeout = 5 * time.Second
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// login logs c in as user on base, fails the test unless it answers 303
// with a cookie, and returns the Set-Cookie field.
func login(t *testing.T, c *http.Client, base, user string) string {
	t.Helper()
	a, err := exampletest.PostForm(c, base+"/login", url.Values{"user": {user}, "password": {"board"}})
	if err != nil || a.Status != http.StatusSeeOther || a.Header.Get("Set-Cookie") == "" {
		t.Fatalf("login as %s: %v %v %v", user, a, a.Header, err)
	}
	return a.Header.Get("Set-Cookie")
}

// send makes one request and reads the whole answer.
func send(t *testing.T, c *http.Client, method, url string, header http.Header, body []byte) exampletest.Answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	a, err := exampletest.Do(c, req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// multipartFile returns a multipart/form-data body with one file part.
func multipartFile(t *testing.T, field, filename string, content []byte) (body []byte, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// readAll is io.ReadAll for a test.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
