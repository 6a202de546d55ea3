// Package exampletest holds the test helpers the example commands share:
// serving a container on 127.0.0.1:0 for the length of a test, a client of
// the test's own, requests that answer status, header and body, and running
// a command's run function in-process behind its "listening on" line.
//
// internal/modes serves containers for the library's semantics tests; the
// examples need more from a server (a stop the test can call early, and a
// check that Serve returned connector.ErrServerClosed), hence Serve here.
package exampletest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
)

// Serve serves c on a fresh 127.0.0.1:0 listener and returns its base URL,
// "http://127.0.0.1:PORT", and a function that shuts c down gracefully and
// checks that Serve returned connector.ErrServerClosed. stop acts once;
// later calls do nothing. The test's cleanup calls it too.
func Serve(t testing.TB, c *container.Container) (base string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()
	stop = sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if !errors.Is(err, connector.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	t.Cleanup(stop)
	return "http://" + l.Addr().String(), stop
}

// NewClient returns a client with its own connection pool (100 idle
// connections per host, a 30 s timeout). Its idle connections are closed at
// the end of the test, before the servers the test started earlier stop
// (cleanups run last in, first out).
func NewClient(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Answer is a response read whole.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

func (a Answer) String() string { return fmt.Sprintf("%d %q", a.Status, a.Body) }

// Do sends req and reads the whole answer; any goroutine may call it.
func Do(client *http.Client, req *http.Request) (Answer, error) {
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		err = fmt.Errorf("reading body: %w", err)
	}
	return Answer{resp.StatusCode, resp.Header, string(b)}, err
}

// Fetch GETs url; any goroutine may call it.
func Fetch(client *http.Client, url string) (Answer, error) {
	return FetchContext(context.Background(), client, url)
}

// FetchContext GETs url with ctx; any goroutine may call it.
func FetchContext(ctx context.Context, client *http.Client, url string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Answer{}, err
	}
	return Do(client, req)
}

// Get GETs url from the test goroutine and fails the test on error.
func Get(t testing.TB, client *http.Client, url string) Answer {
	t.Helper()
	a, err := Fetch(client, url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return a
}

// PostForm POSTs form, URL-encoded, to url; any goroutine may call it.
func PostForm(client *http.Client, url string, form url.Values) (Answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(client, req)
}

var listeningLine = regexp.MustCompile(`^listening on (https?://127\.0\.0\.1:[0-9]+)\n$`)

// Listening returns the base URL of a command's first output line, which
// must be exactly "listening on http://127.0.0.1:PORT\n" (https:// when
// the command serves TLS).
func Listening(line string) (base string, ok bool) {
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// RunCommand runs a command's run function in-process with -addr
// 127.0.0.1:0 and args, and returns the base URL of its listening line and a
// function that stops it, as a signal would, and returns run's error
// (failing the test if run takes over 15 s to return).
func RunCommand(t testing.TB, run func(ctx context.Context, args []string, stdout io.Writer) error, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr) // nothing more is expected; never block run
	base, ok := Listening(line)
	if err != nil || !ok {
		cancel()
		t.Fatalf("first output line = %q (%v), want \"listening on http://127.0.0.1:PORT\"", line, err)
	}
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("run did not return within 15 s of the stop signal")
			return nil
		}
	}
	t.Cleanup(cancel)
	return base, stop
}

// WaitStats polls c.Stats() until done accepts them or within has passed,
// and returns the last Stats and whether done accepted them.
func WaitStats(c *container.Container, within time.Duration, done func(container.Stats) bool) (container.Stats, bool) {
	deadline := time.Now().Add(within)
	for {
		st := c.Stats()
		if done(st) {
			return st, true
		}
		if !time.Now().Before(deadline) {
			return st, false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Idle, for WaitStats, accepts Stats with no request active or suspended.
func Idle(st container.Stats) bool { return st.Active == 0 && st.Suspended == 0 }
