package h3_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A response field that only HTTP/1.1 has (Connection, Keep-Alive,
// Proxy-Connection, Transfer-Encoding, Upgrade), set by a handler written
// for HTTP/1.1, is left out of an HTTP/3 response, as Wharf's HTTP/2
// leaves it out of an HTTP/2 one: RFC 9114 §4.2 makes a message that
// carries one malformed, so the client would throw the response away.
func TestConnectionFieldsLeftOut(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	fields := []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}
	values := map[string]string{"Connection": "close", "Keep-Alive": "timeout=5", "Proxy-Connection": "keep-alive",
		"Transfer-Encoding": "chunked", "Upgrade": "websocket"}
	c.HandleFunc("/h1", func(w api.Response, r *api.Request) error {
		w.Header().Set(r.QueryValue("f"), values[r.QueryValue("f")])
		w.Header().Set("X-Kept", "yes")
		_, err := io.WriteString(w, "hello")
		return err
	})
	addr, cl := serveH3(t, c)
	for _, f := range fields {
		t.Run(f, func(t *testing.T) {
			resp, body := getAll(t, cl, "https://"+addr+"/h1?f="+f)
			if resp.StatusCode != http.StatusOK || body != "hello" {
				t.Errorf("status %d, body %q", resp.StatusCode, body)
			}
			if resp.Header.Get("X-Kept") != "yes" {
				t.Errorf("the other fields went too: %v", resp.Header)
			}
		})
	}
}

// A response field no client could parse, a name that is not a token or a
// value with CR, LF or NUL, is dropped or cleaned (those bytes become
// spaces), as Wharf's HTTP/1.1 and HTTP/2 write it: quic-go sends it as
// it is, and the client throws the whole response away (RFC 9114 §4.2,
// RFC 9110 §5.5).
func TestBadFieldsCleaned(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/bad", func(w api.Response, r *api.Request) error {
		w.Header().Set("X-Value", "a\r\nb\x00c\xe9")
		w.Header()["X Name"] = []string{"v"}
		w.Header().Set("X-Kept", "yes")
		_, err := io.WriteString(w, "hello")
		return err
	})
	addr, cl := serveH3(t, c)
	resp, body := getAll(t, cl, "https://"+addr+"/bad")
	if resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Value"); got != "a  b c\xe9" {
		t.Errorf("X-Value %q, want %q", got, "a  b c\xe9")
	}
	if _, ok := resp.Header["X Name"]; ok || resp.Header.Get("X-Kept") != "yes" {
		t.Errorf("header %v, want X-Kept and no X Name", resp.Header)
	}
}

// Trailer fields are cleaned as the head's are (and as Wharf's HTTP/2
// cleans them): a value with CR or LF, sent as it is, fails the client's
// read of the whole body (quic-go's: "invalid header field value"), and a
// name that is no token is dropped.
func TestBadTrailersCleaned(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/bad", func(w api.Response, r *api.Request) error {
		w.Header().Set("Trailer", "X-T")
		_, err := io.WriteString(w, "hello")
		w.Trailer().Set("X-T", "a\r\nb")
		w.Trailer().Set("X-Late", "c\nd") // not announced: sent with http.TrailerPrefix
		w.Trailer()["X U"] = []string{"v"}
		return err
	})
	addr, cl := serveH3(t, c)
	resp, body := getAll(t, cl, "https://"+addr+"/bad")
	if body != "hello" {
		t.Fatalf("body %q", body)
	}
	if got := resp.Trailer.Get("X-T"); got != "a  b" {
		t.Errorf("trailer X-T %q, want %q", got, "a  b")
	}
	if got := resp.Trailer.Get("X-Late"); got != "c d" {
		t.Errorf("trailer X-Late %q, want %q", got, "c d")
	}
	if _, ok := resp.Trailer["X U"]; ok {
		t.Errorf("trailers %q, want no X U", resp.Trailer)
	}
}

// getAll GETs url with cl and reads the whole body (the trailers come
// after it), failing the test if either fails.
func getAll(t *testing.T, cl *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := cl.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, string(body)
}

// A response whose handler wrote fewer bytes than its Content-Length
// declares is reset (H3_INTERNAL_ERROR), as Wharf's HTTP/2 resets it and
// HTTP/1.1 closes its connection: quic-go ended its stream as complete,
// a malformed response (RFC 9114 §4.1.2) that a client or cache that does
// not count the bytes takes for the whole. An answer to HEAD, and a 304,
// declare a length they do not carry.
func TestShortBodyReset(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/body", func(w api.Response, r *api.Request) error {
		n, _ := strconv.Atoi(r.QueryValue("n"))
		if code, _ := strconv.Atoi(r.QueryValue("code")); code != 0 {
			w.SetStatus(code)
		}
		w.Header().Set("Content-Length", r.QueryValue("declare"))
		if r.QueryValue("flush") != "" {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		_, err := w.Write(bytes.Repeat([]byte("x"), n))
		return err
	})
	addr, cl := serveH3(t, c)
	for _, tt := range []struct {
		name, method, query string
		reset               bool
	}{
		{"short", "GET", "declare=10&n=5", true},
		{"short/large", "GET", "declare=100000&n=50000", true},
		{"short/flushed", "GET", "declare=10&n=5&flush=1", true},
		{"none", "GET", "declare=10&n=0", true},
		{"exact", "GET", "declare=10&n=10", false},
		{"head", "HEAD", "declare=10&n=5", false},
		{"head/none", "HEAD", "declare=10&n=0", false},
		{"304", "GET", "declare=10&n=0&code=304", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "https://"+addr+"/body?"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := cl.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			var h3err *http3.Error
			switch {
			case tt.reset && !(errors.As(err, &h3err) && h3err.Remote):
				t.Errorf("the response ended with %v, want a reset", err)
			case !tt.reset && err != nil:
				t.Errorf("the response failed: %v", err)
			}
		})
	}
}
