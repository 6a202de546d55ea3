package formdata_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
)

// parseThen parses r in style ("blocking": Parse; "async": ParseAsync)
// and gives the outcome to then, which answers as a DoneFunc does.
func parseThen(style string, w api.Response, r *api.Request, lim formdata.Limits, then formdata.DoneFunc) error {
	if style == "async" {
		_, err := formdata.ParseAsync(r, lim, then)
		return err
	}
	f, err := formdata.Parse(r, lim)
	return then(w, f, err)
}

// TestParsedAgainOnResume: a handler parses an upload, suspends, and on
// the re-dispatch of its Resume parses again, in every pairing of the two
// styles: the second parse gets the first's form, its fields and its
// spooled file (one temporary file, not two), where it read a spent body
// and answered 400; and the file is removed once the request completes.
func TestParsedAgainOnResume(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		lim := formdata.Limits{TempDir: dir, MemoryThreshold: 1}
		for _, first := range []string{"blocking", "async"} {
			for _, again := range []string{"blocking", "async"} {
				c.HandleFunc("POST /"+first+"/"+again, func(w api.Response, r *api.Request) error {
					cont := continuation.Of(r)
					if cont.IsResumed() {
						return parseThen(again, w, r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
							if err != nil {
								return err
							}
							return answerFile(w, f, dir)
						})
					}
					if first == "async" {
						_, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
							if err != nil {
								return err
							}
							go cont.Resume()
							return formdata.ErrKeepOpen
						})
						return err
					}
					if _, err := formdata.Parse(r, lim); err != nil {
						return err
					}
					return cont.SuspendThen(func(c continuation.Continuation) { go c.Resume() })
				})
			}
		}
	}
	content := strings.Repeat("file contents ", 1000)
	body, ct := multipartBody(upload{name: "title", content: "report"}, upload{name: "doc", filename: "doc.txt", content: content})
	want := fmt.Sprintf("title=report files=1 doc=%s", content)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/blocking/blocking", "/blocking/async", "/async/blocking", "/async/async"} {
			if code, got := post(t, s, path, ct, body); code != 200 || got != want {
				t.Errorf("%s: %d %.80q, want 200 %.80q", path, code, got, want)
			}
			waitEmpty(t, dir)
		}
	})
}

// answerFile writes the title, the number of temporary files in dir and
// the file doc's contents.
func answerFile(w api.Response, f *formdata.Form, dir string) error {
	fh := f.File("doc")
	if fh == nil {
		return errors.New("no file doc")
	}
	rc, err := fh.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "title=%s files=%d doc=%s", f.Value("title"), len(ents), b)
	return err
}

// checkedKey is the attribute a filter leaves the Form it checked under.
type checkedKey struct{}

// TestParsedOnce: within one dispatch, a filter's parse and the handler's,
// two Parse calls, two at once, and a later call after a first that failed
// on a limit (with larger limits of its own), all get the first call's
// form or error; ParseAsync while ParseAsync reads is refused. Before, the
// second parse read a spent body and answered 400.
func TestParsedOnce(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		lim := formdata.Limits{TempDir: dir, MemoryThreshold: 1}
		for _, style := range []string{"blocking", "async"} {
			// A filter that checks a field, and then the handler.
			c.FilterFunc("/filtered/"+style, func(w api.Response, r *api.Request, next api.Chain) error {
				f, err := formdata.Parse(r, lim)
				if err != nil {
					return err
				}
				if f.Value("title") == "" {
					return &api.StatusError{Code: 403}
				}
				return next.Next(w, r.WithAttribute(checkedKey{}, f))
			})
			c.HandleFunc("POST /filtered/"+style, func(w api.Response, r *api.Request) error {
				checked := r.Attribute(checkedKey{})
				return parseThen(style, w, r, lim, func(w api.Response, f *formdata.Form, err error) error {
					if err != nil {
						return err
					}
					if f != checked {
						return errors.New("another Form than the filter's")
					}
					return answerFile(w, f, dir)
				})
			})
			// A first parse over a limit, then one with larger limits.
			c.HandleFunc("POST /limit/"+style, func(w api.Response, r *api.Request) error {
				_, first := formdata.Parse(r, formdata.Limits{TempDir: dir, MaxFileBytes: 4})
				return parseThen(style, w, r, formdata.Limits{TempDir: dir}, func(w api.Response, f *formdata.Form, err error) error {
					if f != nil || err != first {
						return fmt.Errorf("second parse: %v, %v; first: %v", f, err, first)
					}
					return err
				})
			})
		}
		c.HandleFunc("POST /twice", func(w api.Response, r *api.Request) error {
			f1, err1 := formdata.Parse(r, lim)
			f2, err2 := formdata.Parse(r, formdata.Limits{})
			if err1 != nil || err2 != nil || f1 != f2 {
				return fmt.Errorf("Parse twice: %p, %v; %p, %v", f1, err1, f2, err2)
			}
			return answerFile(w, f2, dir)
		})
		c.HandleFunc("POST /concurrent", func(w api.Response, r *api.Request) error {
			var wg sync.WaitGroup
			forms := make([]*formdata.Form, 4)
			errs := make([]error, 4)
			for i := range forms {
				wg.Go(func() { forms[i], errs[i] = formdata.Parse(r, lim) })
			}
			wg.Wait()
			for i := range forms {
				if errs[i] != nil || forms[i] != forms[0] {
					return fmt.Errorf("Parse %d of %d at once: %p, %v; the first: %p", i, len(forms), forms[i], errs[i], forms[0])
				}
			}
			return answerFile(w, forms[0], dir)
		})
		c.HandleFunc("POST /busy", func(w api.Response, r *api.Request) error {
			var busy, blocked error
			if _, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				if !errors.Is(busy, api.ErrWrongState) || !errors.Is(blocked, api.ErrWrongState) {
					return fmt.Errorf("calls while ParseAsync reads: %v; %v", busy, blocked)
				}
				return answerFile(w, f, dir)
			}); err != nil {
				return err
			}
			_, busy = formdata.ParseAsync(r, lim, func(api.Response, *formdata.Form, error) error {
				panic("done of a refused ParseAsync")
			})
			_, blocked = formdata.Parse(r, lim)
			return nil
		})
	}
	content := strings.Repeat("file contents ", 1000)
	body, ct := multipartBody(upload{name: "title", content: "report"}, upload{name: "doc", filename: "doc.txt", content: content})
	untitled, untitledCT := multipartBody(upload{name: "doc", filename: "doc.txt", content: content})
	want := fmt.Sprintf("title=report files=1 doc=%s", content)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			path     string
			body     []byte
			ct       string
			code     int
			want     string // the answer, or a part of it
			contains bool
		}{
			{"/filtered/blocking", body, ct, 200, want, false},
			{"/filtered/async", body, ct, 200, want, false},
			{"/filtered/blocking", untitled, untitledCT, 403, "", true},
			{"/limit/blocking", body, ct, 413, "MaxFileBytes", true},
			{"/limit/async", body, ct, 413, "MaxFileBytes", true},
			{"/twice", body, ct, 200, want, false},
			{"/concurrent", body, ct, 200, want, false},
			{"/busy", body, ct, 200, want, false},
		} {
			code, got := post(t, s, tt.path, tt.ct, tt.body)
			if code != tt.code || !tt.contains && got != tt.want || tt.contains && !strings.Contains(got, tt.want) {
				t.Errorf("%s: %d %.100q, want %d %.100q", tt.path, code, got, tt.code, tt.want)
			}
			waitEmpty(t, dir)
		}
	})
}

// TestParsedOnceAcrossForward: a handler that parses and forwards
// (package dispatcher) to one that parses again, or includes it, gets
// the first parse's form there, its fields and its one spooled file, and
// the file is removed once the request completes. A forward from
// ParseAsync's done reaches a target that parses with Parse.
func TestParsedOnceAcrossForward(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		lim := formdata.Limits{TempDir: dir, MemoryThreshold: 1}
		for _, style := range []string{"blocking", "async"} {
			c.HandleFunc("/target/"+style, func(w api.Response, r *api.Request) error {
				return parseThen(style, w, r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
					if err != nil {
						return err
					}
					return answerFile(w, f, dir)
				})
			})
		}
		for _, how := range []string{"forward", "include"} {
			send := dispatcher.Forward
			if how == "include" {
				send = dispatcher.Include
			}
			for _, to := range []string{"blocking", "async"} {
				c.HandleFunc("POST /"+how+"/blocking/"+to, func(w api.Response, r *api.Request) error {
					if _, err := formdata.Parse(r, lim); err != nil {
						return err
					}
					return send(w, r, "/target/"+to)
				})
			}
			c.HandleFunc("POST /"+how+"/async/blocking", func(w api.Response, r *api.Request) error {
				_, err := formdata.ParseAsync(r, lim, func(w api.Response, _ *formdata.Form, err error) error {
					if err != nil {
						return err
					}
					return send(w, r, "/target/blocking")
				})
				return err
			})
		}
	}
	content := strings.Repeat("file contents ", 1000)
	body, ct := multipartBody(upload{name: "title", content: "report"}, upload{name: "doc", filename: "doc.txt", content: content})
	want := fmt.Sprintf("title=report files=1 doc=%s", content)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, how := range []string{"forward", "include"} {
			for _, path := range []string{"/blocking/blocking", "/blocking/async", "/async/blocking"} {
				if code, got := post(t, s, "/"+how+path, ct, body); code != 200 || got != want {
					t.Errorf("%s%s: %d %.80q, want 200 %.80q", how, path, code, got, want)
				}
				waitEmpty(t, dir)
			}
		}
	})
}

// TestParseAfterRequestEnds: a ParseAsync whose request ends while the
// body is still half sent — its async timeout expires, its continuation
// expires, its client leaves, the container closes — leaves a parse that
// nothing reads any more; everything that then asks the exchange for the
// form gets ErrParseAborted, wrapping the timeout where one ended it: a
// timeout listener, the error page rendering the timeout, the re-dispatch
// a timeout listener asks for (ParseAsync there), a continuation's
// expired re-dispatch and a filter's after-part of it, an OnComplete
// listener a filter registered before the handler parsed. Before, each
// was told that ParseAsync still parsed (api.ErrWrongState). The spooled
// files are gone each time.
func TestParseAfterRequestEnds(t *testing.T) {
	type seen struct {
		where string
		err   error
	}
	var (
		dir    string
		report chan seen
	)
	parse := func(where string, r *api.Request) {
		_, err := formdata.Parse(r, formdata.Limits{TempDir: dir})
		report <- seen{where, err}
	}
	const expiry = 50 * time.Millisecond
	build := func(c *container.Container) {
		dir = t.TempDir()
		report = make(chan seen, 8)
		lim := formdata.Limits{TempDir: dir, MemoryThreshold: 1}
		never := func(api.Response, *formdata.Form, error) error {
			panic("done of a ParseAsync whose request ended")
		}
		c.HandleFunc("POST /listener", func(w api.Response, r *api.Request) error {
			ac, err := formdata.ParseAsync(r, lim, never)
			if err != nil {
				return err
			}
			ac.SetTimeout(expiry)
			ac.AddListener(async.Listener{OnTimeout: func(_ api.Response, r *api.Request) { parse("timeout listener", r) }})
			return nil
		})
		c.HandleFunc("POST /page", func(w api.Response, r *api.Request) error {
			ac, err := formdata.ParseAsync(r, lim, never)
			if ac != nil {
				ac.SetTimeout(expiry)
			}
			return err
		})
		c.ErrorPageFor(api.ErrAsyncTimeout, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.Path() == "/page" {
				parse("error page", r)
			}
			_, err := io.WriteString(w, "expired")
			return err
		}))
		c.HandleFunc("POST /redispatch", func(w api.Response, r *api.Request) error {
			if async.KindOf(r) != async.DispatchInitial {
				_, err := formdata.ParseAsync(r, lim, func(_ api.Response, _ *formdata.Form, err error) error {
					report <- seen{"re-dispatch", err}
					return err
				})
				if err != nil { // refused: done never runs
					report <- seen{"re-dispatch", err}
				}
				return err
			}
			ac, err := formdata.ParseAsync(r, lim, never)
			if err != nil {
				return err
			}
			ac.SetTimeout(expiry)
			ac.AddListener(async.Listener{OnTimeout: func(api.Response, *api.Request) { ac.Redispatch() }})
			return nil
		})
		c.FilterFunc("/expired", func(w api.Response, r *api.Request, next api.Chain) error {
			err := next.Next(w, r)
			if continuation.Of(r).IsExpired() {
				parse("filter after the expired re-dispatch", r)
			}
			return err
		})
		c.HandleFunc("POST /expired", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsExpired() {
				parse("expired re-dispatch", r)
				return nil
			}
			if _, err := formdata.ParseAsync(r, lim, never); err != nil {
				return err
			}
			cont.SetTimeout(expiry)
			return cont.Suspend()
		})
		for _, path := range []string{"/gone", "/closed"} {
			c.FilterFunc(path, func(w api.Response, r *api.Request, next api.Chain) error {
				if err := async.OnComplete(r, func(error) { parse("OnComplete", r) }); err != nil {
					return err
				}
				return next.Next(w, r)
			})
			c.HandleFunc("POST "+path, func(w api.Response, r *api.Request) error {
				// done runs if the body's read fails before the request
				// does (the client's leaving, seen by the connector).
				_, err := formdata.ParseAsync(r, lim, func(_ api.Response, _ *formdata.Form, err error) error { return err })
				return err
			})
		}
	}
	body, ct := multipartBody(
		upload{name: "f", filename: "a.bin", content: strings.Repeat("a", 20<<10)},
		upload{name: "f", filename: "b.bin", content: strings.Repeat("b", 20<<10)},
	)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			path  string
			where []string // what asks for the form, in order
			cause error    // what the error wraps besides ErrParseAborted
			// read: the body's failed read may have reached done first,
			// whose error then stands.
			read bool
		}{
			{"/listener", []string{"timeout listener"}, api.ErrAsyncTimeout, false},
			{"/page", []string{"error page"}, api.ErrAsyncTimeout, false},
			{"/redispatch", []string{"re-dispatch"}, api.ErrAsyncTimeout, false},
			{"/expired", []string{"expired re-dispatch", "filter after the expired re-dispatch"}, api.ErrAsyncTimeout, false},
			{"/gone", []string{"OnComplete"}, nil, true},
			{"/closed", []string{"OnComplete"}, nil, true}, // last: the container closes
		} {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+tt.path, pr)
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", ct)
			sent := make(chan struct{})
			go func() {
				defer close(sent)
				if resp, err := s.Client.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			go pw.Write(body[:len(body)/2])
			switch tt.path {
			case "/gone":
				waitFiles(t, dir)
				cancel()
			case "/closed":
				waitFiles(t, dir)
				s.Container.Close()
			}
			for _, where := range tt.where {
				var got seen
				select {
				case got = <-report:
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: %s never asked for the form", tt.path, where)
				}
				aborted := errors.Is(got.err, formdata.ErrParseAborted) && (tt.cause == nil || errors.Is(got.err, tt.cause))
				readFailed := tt.read && got.err != nil && !errors.Is(got.err, api.ErrWrongState)
				if got.where != where || !aborted && !readFailed {
					t.Errorf("%s: %s got %v, want %s getting %v wrapping %v", tt.path, got.where, got.err, where, formdata.ErrParseAborted, tt.cause)
				}
			}
			cancel()
			pw.CloseWithError(context.Canceled)
			<-sent
			waitEmpty(t, dir)
		}
	})
}
