package dispatcher_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// resolver maps "/b/*" to a handler that prints what it sees.
type resolver struct {
	filtered  bool
	ambiguous bool // the container maps ambiguous paths (container.WithAmbiguousPaths)
}

func (res *resolver) Resolver() dispatcher.Resolver { return res }

// AmbiguousPaths says what the container's exchange says.
func (res *resolver) AmbiguousPaths() bool { return res.ambiguous }

// Request makes the resolver the api.Exchange of the requests it serves.
func (res *resolver) Request() *api.Request { return nil }

func (res *resolver) Resolve(p string, filters bool) (api.Handler, api.Mapping, bool) {
	if len(p) < 2 || p[:2] != "/b" {
		return nil, api.Mapping{}, false
	}
	res.filtered = filters
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("X-Target", "b")
		_, err := fmt.Fprintf(w, "path=%s pi=%s q=%s", r.Path(), r.Mapping().PathInfo, r.RawQuery())
		return err
	})
	return h, api.Mapping{ContextPath: "/ctx", Pattern: "/b/*", Kind: api.MatchPrefix, ServletPath: "/b", PathInfo: p[2:]}, true
}

func request(res *resolver, query string) *api.Request {
	return api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ctx/a", Target: "/ctx/a?" + query, RawQuery: query}, res).
		WithMapping(api.Mapping{ContextPath: "/ctx", Pattern: "/a", ServletPath: "/a"})
}

func TestForward(t *testing.T) {
	tests := []struct {
		name, query, target, want string
		err                       error
	}{
		{"query merged target first", "x=1", "/b/info?y=2", "path=/ctx/b/info pi=/info q=y=2&x=1", nil},
		{"original query kept", "x=1", "/b/info", "path=/ctx/b/info pi=/info q=x=1", nil},
		{"dot segments cleaned", "", "/b/../b/./z", "path=/ctx/b/z pi=/z q=", nil},
		{"escaped", "", "/b/a%20b", "path=/ctx/b/a b pi=/a b q=", nil},
		{"relative target", "", "b/x", "", dispatcher.ErrBadTarget},
		{"bad escape", "", "/b/%zz", "", dispatcher.ErrBadTarget},
		// A value escaped with url.PathEscape, as Forward's doc asks,
		// must stay in its segment: decoded, "../y" would climb out.
		{"escaped slash", "", "/b/x/..%2Fy", "", dispatcher.ErrBadTarget},
		{"escaped backslash", "", "/b/x%5Cy", "", dispatcher.ErrBadTarget},
		{"escaped dot segment", "", "/b/x/%2e%2e/y", "", dispatcher.ErrBadTarget},
		{"escaped query", "", "/b/a%3Fb", "path=/ctx/b/a?b pi=/a?b q=", nil},
		// A control character escaped into a value would reach the
		// target's path, which a request's could not have.
		{"escaped NUL", "", "/b/x%00y", "", dispatcher.ErrBadTarget},
		{"escaped LF", "", "/b/x%0Ay", "", dispatcher.ErrBadTarget},
		{"escaped unit separator", "", "/b/x%1fy", "", dispatcher.ErrBadTarget},
		{"escaped DEL", "", "/b/x%7Fy", "", dispatcher.ErrBadTarget},
		{"NUL in the query", "", "/b/x?y=%00%0A", "path=/ctx/b/x pi=/x q=y=%00%0A", nil},
		{"escaped percent, then 00", "", "/b/x%2500", "path=/ctx/b/x%00 pi=/x%00 q=", nil},
		// Raw, a control character is refused in a request-target by
		// every connector (and by url.Parse): a value put into the
		// target unescaped must not bring it to the target's path or
		// query, where no request's could.
		{"raw LF", "", "/b/x\ny", "", dispatcher.ErrBadTarget},
		{"raw CR LF", "", "/b/x\r\nSet-Cookie: a=b", "", dispatcher.ErrBadTarget},
		{"raw NUL", "", "/b/x\x00y", "", dispatcher.ErrBadTarget},
		{"raw tab", "", "/b/x\ty", "", dispatcher.ErrBadTarget},
		{"raw DEL", "", "/b/x\x7fy", "", dispatcher.ErrBadTarget},
		{"raw LF in the query", "", "/b/x?y=\nz", "", dispatcher.ErrBadTarget},
		{"raw ESC in the query", "", "/b/x?y=\x1b[2J", "", dispatcher.ErrBadTarget},
		// A fragment is no part of a request-target, which every
		// connector refuses with one: read as the path's or the query's,
		// it reached a file name ("x#top") or a parameter's value ("1#top").
		{"fragment", "", "/b/x#top", "", dispatcher.ErrBadTarget},
		{"fragment after the query", "", "/b/x?y=1#top", "", dispatcher.ErrBadTarget},
		{"empty fragment", "", "/b/x#", "", dispatcher.ErrBadTarget},
		{"escaped '#'", "", "/b/x%23top?y=%23", "path=/ctx/b/x#top pi=/x#top q=y=%23", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &resolver{}
			r := request(res, tt.query)
			w := wharftest.NewRecorder()
			w.WriteString("discarded by the forward")
			err := dispatcher.Forward(w, r, tt.target)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.err == nil && w.Body() != tt.want {
				t.Fatalf("body = %q, want %q", w.Body(), tt.want)
			}
			if r.Path() != "/ctx/a" || r.Mapping().Pattern != "/a" || r.RawQuery() != tt.query {
				t.Fatal("the caller's request changed")
			}
			if res.filtered {
				t.Fatal("filters ran without WithFilters")
			}
		})
	}
}

// A forward through a Response that cannot Discard (a filter's wrapper, here
// a recorder) clears it with Reset and sets back the status and the header
// fields that do not describe the discarded body.
func TestForwardClearsBodyOnly(t *testing.T) {
	w := wharftest.NewRecorder()
	w.SetStatus(404)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", "24")
	w.WriteString("discarded by the forward")
	if err := dispatcher.Forward(w, request(&resolver{}, ""), "/b/x"); err != nil {
		t.Fatal(err)
	}
	h := w.Header()
	switch {
	case w.Body() != "path=/ctx/b/x pi=/x q=":
		t.Errorf("body %q", w.Body())
	case w.Status() != 404:
		t.Errorf("status %d, want the 404 set before the forward", w.Status())
	case h.Get("X-Frame-Options") != "DENY" || h.Get("X-Target") != "b":
		t.Errorf("fields lost: %v", h)
	case h.Get("Content-Type") != "" || h.Get("Content-Length") != "":
		t.Errorf("the discarded body's fields kept: %v", h)
	}
}

func TestForwardNotFoundAndOptions(t *testing.T) {
	res := &resolver{}
	err := dispatcher.Forward(wharftest.NewRecorder(), request(res, ""), "/nothing")
	if api.StatusOf(err) != 404 {
		t.Fatalf("unmapped target: %v", err)
	}
	if err := dispatcher.Forward(wharftest.NewRecorder(), request(res, ""), "/b", dispatcher.WithFilters()); err != nil || !res.filtered {
		t.Fatalf("WithFilters: %v filtered=%v", err, res.filtered)
	}
	plain := api.NewRequest(context.Background(), &api.RequestHead{Path: "/"}, nil)
	if err := dispatcher.Forward(wharftest.NewRecorder(), plain, "/b"); !errors.Is(err, dispatcher.ErrNoResolver) {
		t.Fatalf("no resolver: %v", err)
	}
	w := wharftest.NewRecorder()
	w.Flush() // commit
	if err := dispatcher.Forward(w, request(res, ""), "/b"); !errors.Is(err, api.ErrCommitted) {
		t.Fatalf("forward after commit: %v", err)
	}
}

// A container that maps ambiguous request paths decoded and cleaned
// (container.WithAmbiguousPaths) has its forwards read a target so too;
// one that refuses them (TestForward) fails such a target.
func TestForwardAmbiguousAllowed(t *testing.T) {
	tests := []struct{ target, want string }{
		{"/b/x/..%2Fy", "path=/ctx/b/y pi=/y q="},
		{"/b/x%2fy", "path=/ctx/b/x/y pi=/x/y q="},
		{"/b/x%5Cy", `path=/ctx/b/x\y pi=/x\y q=`},
		{"/b/x/%2e%2e/y", "path=/ctx/b/y pi=/y q="},
		{"/b/x%0Ay", "path=/ctx/b/x\ny pi=/x\ny q="},
		{"/b/x%7fy", "path=/ctx/b/x\x7fy pi=/x\x7fy q="},
		{"/b/x%00y", ""}, // a NUL still fails the target, as it fails a request
		// Raw control characters are refused in a request-target
		// whatever the setting: the option is about escapes.
		{"/b/x\ny", ""},
		{"/b/x\x7fy", ""},
		{"/b/x?y=\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res := &resolver{ambiguous: true}
			w := wharftest.NewRecorder()
			err := dispatcher.Forward(w, request(res, ""), tt.target)
			if tt.want == "" {
				if !errors.Is(err, dispatcher.ErrBadTarget) {
					t.Fatalf("err = %v, want ErrBadTarget", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Body() != tt.want {
				t.Fatalf("body = %q, want %q", w.Body(), tt.want)
			}
		})
	}
}

// A forward after the head was sent fails with api.ErrCommitted whatever the
// target: one nothing is mapped at, or one that does not parse, fails as a
// mapped one does, and nothing is written. An include may follow a commit.
func TestForwardAfterCommit(t *testing.T) {
	for _, target := range []string{"/b/x", "/nothing", "relative", "/b/%zz", "/b/..%2Fx"} {
		t.Run(target, func(t *testing.T) {
			w := wharftest.NewRecorder()
			w.WriteString("sent")
			w.Flush()
			if err := dispatcher.Forward(w, request(&resolver{}, ""), target); !errors.Is(err, api.ErrCommitted) {
				t.Fatalf("err = %v, want api.ErrCommitted", err)
			}
			if w.Body() != "sent" {
				t.Fatalf("body = %q", w.Body())
			}
		})
	}
	w := wharftest.NewRecorder()
	w.WriteString("<")
	w.Flush()
	if err := dispatcher.Include(w, request(&resolver{}, ""), "/b/x"); err != nil || w.Body() != "<path=/ctx/b/x pi=/x q=" {
		t.Fatalf("include after commit: %v, body %q", err, w.Body())
	}
}

func TestInclude(t *testing.T) {
	res := &resolver{}
	w := wharftest.NewRecorder()
	w.WriteString("<")
	if err := dispatcher.Include(w, request(res, "q=1"), "/b/x"); err != nil {
		t.Fatal(err)
	}
	w.WriteString(">")
	if w.Body() != "<path=/ctx/b/x pi=/x q=q=1>" {
		t.Fatalf("body = %q", w.Body())
	}
	if w.Header().Get("X-Target") != "" {
		t.Fatal("the included handler set a header")
	}
}

// handlerResolver maps every path to h.
type handlerResolver struct{ h api.Handler }

func (res handlerResolver) Resolver() dispatcher.Resolver { return res }
func (res handlerResolver) Request() *api.Request         { return nil }
func (res handlerResolver) Resolve(p string, _ bool) (api.Handler, api.Mapping, bool) {
	return res.h, api.Mapping{ServletPath: p}, true
}

// takeover is a Response whose connection can be taken over, as the
// container's can: it counts the calls that would take it.
type takeover struct {
	*wharftest.Recorder
	taken int
}

func (w *takeover) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.taken++
	return nil, nil, errors.New("taken")
}

func (w *takeover) Tunnel() (api.Tunnel, error) {
	w.taken++
	return nil, errors.New("taken")
}

// An included resource that takes the connection would write a head of its
// own: the includer's status and header fields would go for nothing.
func TestIncludeCannotTakeConnection(t *testing.T) {
	tests := []struct {
		name string
		take func(api.Response) error
	}{
		{"Hijack", func(w api.Response) error { _, _, err := api.Hijack(w); return err }},
		{"Tunnel", func(w api.Response) error {
			tn, ok := api.As[api.Tunneler](w)
			if !ok {
				return api.ErrNotSupported
			}
			_, err := tn.Tunnel()
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &takeover{Recorder: wharftest.NewRecorder()}
			var takeErr error
			res := handlerResolver{api.HandlerFunc(func(w api.Response, r *api.Request) error {
				takeErr = tt.take(w)
				return nil
			})}
			r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/a", Target: "/a"}, res)
			if err := dispatcher.Include(w, r, "/fragment"); err != nil {
				t.Fatal(err)
			}
			if w.taken != 0 || !errors.Is(takeErr, api.ErrNotSupported) {
				t.Fatalf("the included resource took the connection: %d calls, err %v", w.taken, takeErr)
			}
		})
	}
}

// A forward loop fails with ErrForwardDepth once forwards or includes nest
// 32 deep, where it recursed until the goroutine's stack overflowed, which
// ends the process: the handler here gives up by itself after 1,000 calls,
// so that the test fails rather than crashes without the bound. Forwards
// one after the other do not add up; only nesting counts.
func TestForwardLoop(t *testing.T) {
	const giveUp = 1000
	errGaveUp := errors.New("no bound: the handler gave up by itself")
	tests := []struct {
		name     string
		dispatch func(api.Response, *api.Request, string, ...dispatcher.Option) error
		nest     int // forwards nested, the caller's first; 0: for ever
		serial   int // then the deepest target includes a leaf this many times
		calls    int // the handler's calls
		err      error
	}{
		{"forward loop", dispatcher.Forward, 0, 0, 32, dispatcher.ErrForwardDepth},
		{"include loop", dispatcher.Include, 0, 0, 32, dispatcher.ErrForwardDepth},
		{"32 nested", dispatcher.Forward, 32, 0, 32, nil},
		{"33 nested", dispatcher.Forward, 33, 0, 32, dispatcher.ErrForwardDepth},
		{"100 serial at depth 1", dispatcher.Include, 1, 100, 1 + 100, nil},
		{"100 serial at depth 31", dispatcher.Include, 31, 100, 31 + 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var res handlerResolver
			res.h = api.HandlerFunc(func(w api.Response, r *api.Request) error {
				calls++
				switch {
				case calls > giveUp:
					return errGaveUp
				case r.Path() == "/leaf":
					return nil
				case tt.nest == 0 || calls < tt.nest:
					return tt.dispatch(w, r, "/loop")
				}
				for range tt.serial {
					if err := tt.dispatch(w, r, "/leaf"); err != nil {
						return err
					}
				}
				return nil
			})
			r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/a", Target: "/a"}, res)
			err := tt.dispatch(wharftest.NewRecorder(), r, "/loop")
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if calls != tt.calls {
				t.Fatalf("%d calls, want %d", calls, tt.calls)
			}
		})
	}
}

// TestIncludeLeavesCallersOptions: Include adds its own option to a copy
// of the caller's, not in the spare capacity of the caller's slice, which
// handlers serving at once may share (a package's options, built once):
// each call wrote there, a data race between them.
func TestIncludeLeavesCallersOptions(t *testing.T) {
	opts := append(make([]dispatcher.Option, 0, 4), dispatcher.WithFilters())
	res := &resolver{}
	if err := dispatcher.Include(wharftest.NewRecorder(), request(res, ""), "/b/x", opts...); err != nil || !res.filtered {
		t.Fatalf("include: %v, filtered %v", err, res.filtered)
	}
	if spare := opts[1:cap(opts)]; spare[0] != nil {
		t.Fatal("Include wrote an option into the spare capacity of the caller's slice")
	}
	// Handlers serving at once, sharing the slice (a data race under
	// -race before).
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			dispatcher.Include(wharftest.NewRecorder(), request(&resolver{}, ""), "/b/x", opts...)
		})
	}
	wg.Wait()
}
