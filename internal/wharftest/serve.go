package wharftest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Server is what Listen serves: a container (this package cannot import
// it, as the container's own tests import this package).
type Server interface {
	Serve(l net.Listener) error
	Shutdown(ctx context.Context) error
	Close() error
}

// Listen serves srv on a fresh 127.0.0.1 port until the test ends, then
// shuts it down (closing whatever is still open) and waits for Serve to
// return. It returns the address.
func Listen(t testing.TB, srv Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ListenOn(t, srv, l)
}

// ListenOn is Listen on a listener of the caller's.
func ListenOn(t testing.TB, srv Server, l net.Listener) string {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
		<-done
	})
	return l.Addr().String()
}

// RoundTrip sends raw bytes on a new connection to addr, reads responses
// HTTP/1.1 answers (bodies read whole), and reports whether the server
// then closed the connection (within 300 ms). A raw request starting with
// HEAD is read as HEAD's answers.
func RoundTrip(t testing.TB, addr, raw string, responses int) ([]*http.Response, []string, bool) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	var resps []*http.Response
	var bodies []string
	for range responses {
		req := &http.Request{Method: "GET"}
		if strings.HasPrefix(raw, "HEAD") {
			req.Method = "HEAD"
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("reading response %d: %v", len(resps)+1, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading body %d: %v", len(resps)+1, err)
		}
		resps = append(resps, resp)
		bodies = append(bodies, string(b))
	}
	// Is the connection closed by the server now?
	nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = br.ReadByte()
	return resps, bodies, err == io.EOF
}

// DocSection holds the part of the file at path (relative to the test's
// package) between the lines "<!-- name:begin -->" and "<!-- name:end -->"
// to want, a table a test generates from its own cases, so that the doc
// cannot drift from what the test checks. With update it rewrites that
// part instead of failing (a test's -update-docs flag).
func DocSection(t testing.TB, path, name, want string, update bool) {
	t.Helper()
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, begin, end)
	}
	if got := string(doc[i+len(begin) : j]); got == want {
		return
	}
	if !update {
		t.Errorf("%s's %s section is out of date; run the test with -update-docs", path, name)
		return
	}
	out := append(append(append([]byte{}, doc[:i+len(begin)]...), want...), doc[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// DeclaredTests returns the names of the Test functions the test files of
// the calling test's package (its working directory) declare, so that a
// doc table naming tests can be held to tests that exist.
func DeclaredTests(t testing.TB) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	names := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
	}
	return names
}
