package container_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A 1xx set as the response's status was the only head sent: the client
// waited for a final response that never came. SetStatus refuses it, and
// the handler that returns the refusal gets a 500 at once. 101 is refused
// as well: the upgrade APIs send it.
func TestSetStatusRefusesInterim(t *testing.T) {
	codes := []int{http.StatusContinue, http.StatusSwitchingProtocols, http.StatusEarlyHints, 199}
	var got chan error // the mode's
	build := func(c *container.Container) {
		got = make(chan error, 1)
		ch := got
		c.HandleFunc("/status", func(w api.Response, r *api.Request) error {
			code, _ := strconv.Atoi(r.Query().Get("code"))
			w.Header().Set("Link", "</style.css>; rel=preload")
			err := w.SetStatus(code)
			select {
			case ch <- err:
			default: // the test failed before reading the last one
			}
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, "hello")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, code := range codes {
			// A client left with the 1xx alone waits until its timeout;
			// the final response takes milliseconds.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/status?code="+strconv.Itoa(code), nil)
			resp, err := s.Client.Do(req)
			if err != nil {
				cancel()
				t.Fatalf("SetStatus(%d): GET: %v", code, err)
			}
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			if err != nil {
				t.Fatalf("SetStatus(%d): reading the body: %v", code, err)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("SetStatus(%d): final status %d, want 500", code, resp.StatusCode)
			}
			serr := <-got
			var se *api.StatusError
			if !errors.As(serr, &se) || se.Code != http.StatusInternalServerError || !strings.Contains(serr.Error(), "interim") {
				t.Errorf("SetStatus(%d) = %v, want a StatusError 500 saying interim responses are not supported", code, serr)
			}
		}
	})
}

// A body written on a 204 or a 304 was dropped by the stream while Write
// returned nil. Write refuses it as net/http does, with an error that
// wraps http.ErrBodyNotAllowed, and the response goes out without it; an
// empty write, and any write in answer to HEAD, still succeed.
func TestWriteOnBodilessStatus(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("file bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	type write struct {
		name string
		f    func(w api.Response) error
	}
	writes := []write{
		{"Write", func(w api.Response) error { _, err := w.Write([]byte("body")); return err }},
		{"WriteString", func(w api.Response) error { _, err := io.WriteString(w, "body"); return err }},
		{"pastBuffer", func(w api.Response) error { _, err := w.Write(make([]byte, 256<<10)); return err }},
		{"afterFlush", func(w api.Response) error {
			if err := w.Flush(); err != nil {
				return err
			}
			_, err := w.WriteString("body")
			return err
		}},
		// The non-blocking writer, where the connection has one: bytes
		// and a file section are refused, a nil write (a flush) is not.
		{"WriteNow", func(w api.Response) error {
			nb, ok := nonBlockingWriter(w)
			if !ok {
				_, err := w.Write([]byte("body"))
				return err
			}
			if _, err := nb.WriteNow(nil); err != nil {
				return errors.New("WriteNow(nil): " + err.Error())
			}
			_, err := nb.WriteNow([]byte("body"))
			return err
		}},
		{"SendFileNow", func(w api.Response) error {
			nb, ok := nonBlockingWriter(w)
			if !ok {
				_, err := w.Write([]byte("body"))
				return err
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			w.Header().Set("Content-Length", "10")
			_, err = nb.SendFileNow(f, 0, 10)
			return err
		}},
	}
	type result struct {
		err, empty error
	}
	var got chan result // the mode's
	build := func(c *container.Container) {
		got = make(chan result, 1)
		ch := got
		c.HandleFunc("/w", func(w api.Response, r *api.Request) error {
			code, _ := strconv.Atoi(r.Query().Get("code"))
			if err := w.SetStatus(code); err != nil {
				return err
			}
			w.Header().Set("X-Write", r.Query().Get("write"))
			_, empty := w.Write(nil)
			var err error
			for _, wr := range writes {
				if wr.name == r.Query().Get("write") {
					err = wr.f(w)
				}
			}
			select {
			case ch <- result{err, empty}:
			default: // the test failed before reading the last one
			}
			return nil // the refused body is the handler's to report, or not
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, code := range []int{http.StatusNoContent, http.StatusNotModified, http.StatusOK} {
			for _, method := range []string{"GET", "HEAD"} {
				for _, wr := range writes {
					name := method + " " + strconv.Itoa(code) + " " + wr.name
					req, _ := http.NewRequest(method, s.URL+"/w?code="+strconv.Itoa(code)+"&write="+wr.name, nil)
					resp, err := s.Client.Do(req)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						t.Fatalf("%s: reading the body: %v", name, err)
					}
					res := <-got
					if res.empty != nil {
						t.Errorf("%s: an empty Write returned %v", name, res.empty)
					}
					if resp.StatusCode != code {
						t.Errorf("%s: status %d, want %d", name, resp.StatusCode, code)
					}
					if code == http.StatusOK {
						// The control: a 200 takes the body, and so does
						// the answer to HEAD, which drops it.
						if res.err != nil {
							t.Errorf("%s: write returned %v", name, res.err)
						}
						continue
					}
					if !errors.Is(res.err, http.ErrBodyNotAllowed) {
						t.Errorf("%s: write returned %v, want an error wrapping http.ErrBodyNotAllowed", name, res.err)
					}
					if len(body) != 0 {
						t.Errorf("%s: body %q, want none", name, body)
					}
				}
			}
		}
	})
}

// Bytes written while the status allowed a body, before it became 204 or
// 304, are dropped when the head goes, on every protocol: net/http's
// ResponseWriter and HTTP/3's stream refused them, and the response
// failed.
func TestBodilessStatusAfterWrite(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/late", func(w api.Response, r *api.Request) error {
			if _, err := w.WriteString("body"); err != nil {
				return err
			}
			code, _ := strconv.Atoi(r.Query().Get("code"))
			return w.SetStatus(code)
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
			status, body, _ := get(t, s, "/late?code="+strconv.Itoa(code))
			if status != code || body != "" {
				t.Errorf("status %d set after a write: got %d %q, want %d and no body", code, status, body, code)
			}
		}
	})
}

// A Content-Length field the handler set is not sent on a 204 or a 304,
// which have no body, on any protocol: RFC 9110 §8.6 forbids it on a
// 204. HTTP/3's stream (through quic-go's server) sent it as it was.
func TestBodilessStatusDropsContentLength(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/declared", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Length", "5")
			code, _ := strconv.Atoi(r.Query().Get("code"))
			return w.SetStatus(code)
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
			resp, err := s.Client.Get(s.URL + "/declared?code=" + strconv.Itoa(code))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != code || resp.Header["Content-Length"] != nil {
				t.Errorf("status %d with Content-Length: 5 set: got %d, Content-Length %q, want %d and none", code, resp.StatusCode, resp.Header["Content-Length"], code)
			}
		}
	})
}

// A write that would take the body past the Content-Length the handler
// set is refused with an error wrapping http.ErrContentLength, as
// net/http's Write refuses it, and takes nothing: the response goes out
// whole, with the declared body. Before, a write into the buffer was
// taken, and the response failed as it finished, with nothing said to
// the handler.
func TestWriteOverContentLength(t *testing.T) {
	const declared = "hello"
	type step struct {
		p     string
		flush bool // Flush before writing p
		over  bool // the write passes the length
	}
	cases := []struct {
		name  string
		write func(w api.Response, p string) error
		steps []step
	}{
		{name: "one write over", steps: []step{{p: "hello world", over: true}, {p: "hello"}}},
		{name: "second write over", steps: []step{{p: "hel"}, {p: "lo"}, {p: "!", over: true}}},
		{name: "WriteString", write: func(w api.Response, p string) error { _, err := io.WriteString(w, p); return err },
			steps: []step{{p: "hello"}, {p: "!", over: true}}},
		{name: "past the buffer", steps: []step{{p: "hello"}, {p: strings.Repeat("x", 256<<10), over: true}}},
		{name: "after Flush", steps: []step{{p: "hel"}, {p: "lo!", flush: true, over: true}, {p: "lo"}, {p: "!", over: true}}},
		{name: "empty writes", steps: []step{{p: "hello"}, {p: ""}, {p: "", flush: true}}},
		// The non-blocking writer, where the connection has one.
		{name: "WriteNow", write: func(w api.Response, p string) error {
			nb, ok := nonBlockingWriter(w)
			if !ok {
				_, err := w.Write([]byte(p))
				return err
			}
			_, err := nb.WriteNow([]byte(p))
			return err
		}, steps: []step{{p: "hello world", over: true}, {p: "hel"}, {p: "lo!", over: true}, {p: "lo"}}},
	}
	var errs chan string // the mode's
	build := func(c *container.Container) {
		errs = make(chan string, 1)
		ch := errs
		c.HandleFunc("/w", func(w api.Response, r *api.Request) error {
			var problems []string
			for _, tc := range cases {
				if tc.name != r.Query().Get("case") {
					continue
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(declared)))
				write := tc.write
				if write == nil {
					write = func(w api.Response, p string) error { _, err := w.Write([]byte(p)); return err }
				}
				for i, st := range tc.steps {
					if st.flush {
						if err := w.Flush(); err != nil {
							problems = append(problems, "Flush: "+err.Error())
						}
					}
					committed := w.Committed()
					err := write(w, st.p)
					if st.over && !committed && w.Committed() {
						problems = append(problems, fmt.Sprintf("write %d: refused, but it committed the head", i))
					}
					switch {
					case st.over && !errors.Is(err, http.ErrContentLength):
						problems = append(problems, fmt.Sprintf("write %d (%d bytes): %v, want an error wrapping http.ErrContentLength", i, len(st.p), err))
					case !st.over && err != nil:
						problems = append(problems, fmt.Sprintf("write %d (%d bytes): %v", i, len(st.p), err))
					}
				}
			}
			select {
			case ch <- strings.Join(problems, "; "):
			default: // the test failed before reading the last one
			}
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range cases {
			resp, err := s.Client.Get(s.URL + "/w?case=" + url.QueryEscape(tc.name))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if problems := <-errs; problems != "" {
				t.Errorf("%s: %s", tc.name, problems)
			}
			if err != nil || resp.StatusCode != 200 || string(body) != declared || resp.ContentLength != int64(len(declared)) {
				t.Errorf("%s: %d %q (length %d, %v), want 200 %q", tc.name, resp.StatusCode, body, resp.ContentLength, err, declared)
			}
		}
	})
}

// nonBlockingWriter returns w's non-blocking writer where its connection
// has one (the epoll connector's); ok is false elsewhere, where a test
// writes as usual instead.
func nonBlockingWriter(w api.Response) (nb api.NonBlockingWriter, ok bool) {
	nb, ok = api.As[api.NonBlockingWriter](w)
	return nb, ok && nb.NonBlocking()
}
