package async_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// listenerFunc is a WriteListener made of a function run at each
// OnWritePossible; errors are ignored.
type listenerFunc func(w api.Response)

func (f listenerFunc) OnWritePossible(w api.Response) { f(w) }
func (listenerFunc) OnError(api.Response, error)      {}

// startOutput suspends a request on a non-blocking recorder and sets a
// write listener that runs first once (then nothing).
func startOutput(t *testing.T, first func(out *async.Output, nb *wharftest.NonBlockingRecorder)) (*wharftest.Exchange, *wharftest.NonBlockingRecorder) {
	t.Helper()
	var out *async.Output
	var nb *wharftest.NonBlockingRecorder
	calls := 0
	l := listenerFunc(func(api.Response) {
		if calls++; calls == 1 {
			first(out, nb)
		}
	})
	x, rec := wharftest.NewNonBlockingExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		out, err = a.SetWriteListener(l)
		return err
	}))
	nb = rec
	x.Begin()
	return x, nb
}

// A Write from a goroutine other than the running task is queued for the
// flush task, never written by that goroutine while the task runs: the
// connection has one writer at a time.
func TestOutputWriteOutsideTaskIsQueued(t *testing.T) {
	during := -1
	x, _ := startOutput(t, func(out *async.Output, nb *wharftest.NonBlockingRecorder) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := out.Write([]byte("x")); err != nil {
				t.Errorf("Write: %v", err)
			}
		}()
		<-done
		during = nb.Calls()
		_ = out.Complete()
	})
	<-x.Done()
	if during != 0 {
		t.Fatalf("%d writes reached the connection from outside the task while it ran", during)
	}
	if got := x.Out.Body(); got != "x" {
		t.Fatalf("body %q, want %q", got, "x")
	}
}

// A Write inside the task goes to the connection at once.
func TestOutputWriteInTaskGoesDirect(t *testing.T) {
	during := -1
	x, _ := startOutput(t, func(out *async.Output, nb *wharftest.NonBlockingRecorder) {
		if _, err := out.Write([]byte("x")); err != nil {
			t.Errorf("Write: %v", err)
		}
		during = nb.Calls()
		_ = out.Complete()
	})
	<-x.Done()
	if during != 1 || x.Out.Body() != "x" {
		t.Fatalf("writes during the task %d, body %q; want 1, %q", during, x.Out.Body(), "x")
	}
}

// When the connection still holds bytes of a direct Write, a flush that
// finds only an empty file section still asks the connection to send
// what it holds before the request completes, rather than leaving them
// to completion, which writes them blocking.
func TestOutputFlushSendsHeldBytesPastEmptyFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "empty"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, nb := startOutput(t, func(out *async.Output, nb *wharftest.NonBlockingRecorder) {
		nb.SetReady(false) // the connection keeps some of what it takes
		if _, err := out.Write([]byte("abc")); err != nil {
			t.Errorf("Write: %v", err)
		}
		if err := out.SendFile(f, 0, 0); err != nil {
			t.Errorf("SendFile: %v", err)
		}
		_ = out.Complete()
	})
	if nb.Calls() != 1 {
		t.Fatalf("%d writes before the wake-up, want the direct one", nb.Calls())
	}
	nb.SetReady(true)
	if !nb.Wake() {
		t.Fatal("the Output did not wait for the connection")
	}
	<-x.Done()
	if got := nb.Calls(); got != 2 {
		t.Fatalf("%d writes, want 2: the flush did not ask the connection to send what it held", got)
	}
}

// A Write after the request completed (its timeout, a Complete) takes
// nothing and says so: the flush it queues is refused, and a nil error
// told the writer the bytes were on their way. A flush that was queued
// when the request completed is dropped with it, and the writes after it
// fail too.
func TestOutputWriteAfterCompletion(t *testing.T) {
	for _, queued := range []bool{false, true} {
		var out *async.Output
		var a *async.Context
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			var err error
			if a, err = async.Start(r); err != nil {
				return err
			}
			out, err = a.SetWriteListener(listenerFunc(func(api.Response) {}))
			if err != nil {
				return err
			}
			if queued {
				// A flush queued behind this dispatch, which completes.
				if _, err := out.Write([]byte("dropped")); err != nil {
					return err
				}
				return a.Complete()
			}
			return nil
		}), nil)
		if !queued {
			a.Complete()
		}
		<-x.Done()
		if n, err := out.Write([]byte("late")); err == nil || n != 0 {
			t.Errorf("queued flush %v: Write after completion = %d, %v; want 0 and an error", queued, n, err)
		}
		if err := out.SendFile(os.Stdin, 0, 1); err == nil {
			t.Errorf("queued flush %v: SendFile after completion succeeded", queued)
		}
		if got := x.Out.Body(); got != "" {
			t.Errorf("queued flush %v: body %q", queued, got)
		}
	}
}

// A flush that waits for the connection when the request completes (a
// Complete of the Context, the async timeout) never runs again: the bytes
// queued behind it never go out, and a Write after the completion must
// say so (api.ErrCompleted), as it does when the flush was only queued,
// rather than take its bytes with a nil error for as long as the
// connection does not wake the flush.
func TestOutputWriteAfterCompletionWhileFlushWaits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		complete func(x *wharftest.Exchange, a *async.Context) error
	}{
		{"Complete", func(_ *wharftest.Exchange, a *async.Context) error { return a.Complete() }},
		{"timeout", func(x *wharftest.Exchange, _ *async.Context) error { return x.Expire() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out *async.Output
			var a *async.Context
			first := true
			x, nb := wharftest.NewNonBlockingExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				var err error
				if a, err = async.Start(r); err != nil {
					return err
				}
				out, err = a.SetWriteListener(listenerFunc(func(api.Response) {
					if !first {
						return
					}
					first = false
					// The connection keeps part of the first: the flush
					// waits for it, and the second is queued behind.
					for _, s := range []string{"sent", "queued"} {
						if _, err := out.Write([]byte(s)); err != nil {
							t.Errorf("Write(%q): %v", s, err)
						}
					}
				}))
				return err
			}))
			nb.SetReady(false)
			x.Begin()
			if err := tt.complete(x, a); err != nil {
				t.Fatal(err)
			}
			<-x.Done()
			if n, err := out.Write([]byte("late")); n != 0 || !errors.Is(err, api.ErrCompleted) {
				t.Errorf("Write after completion = %d, %v; want 0, api.ErrCompleted", n, err)
			}
			if got := x.Out.Body(); got != "sent" {
				t.Errorf("body %q, want %q", got, "sent")
			}
		})
	}
}

// Output.Complete says, as Write does, when it completes nothing: once
// the request completed (api.ErrCompleted), or once a write failed (its
// error: the request ended without the rest of the body). It returned
// nil whatever happened, so that a caller told the body had gone out,
// or would, heard nothing of a body cut short. And a completion that its
// own flush made, run at once on another goroutine, is no refusal: the
// flush's check took it for one (as it took one a Write's flush made
// when another goroutine's Complete came meanwhile).
func TestOutputCompleteReportsEnd(t *testing.T) {
	short, err := os.Create(filepath.Join(t.TempDir(), "short"))
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	for _, tt := range []struct {
		name string
		// first runs in the listener's first call; end, if set, ends
		// the request before Output.Complete is called
		first func(out *async.Output)
		end   func(x *wharftest.Exchange, a *async.Context)
		want  error // nil: nil
		body  string
		// now runs the request's work on the goroutine that hands it
		// over (Config.Execute): the flush Complete queues runs, and
		// completes the request, before Complete returns
		now bool
	}{
		{"live", func(out *async.Output) {
			if _, err := out.Write([]byte("x")); err != nil {
				t.Errorf("Write: %v", err)
			}
		}, nil, nil, "x", false},
		{"live, the flush run at once", func(out *async.Output) {
			if _, err := out.Write([]byte("x")); err != nil {
				t.Errorf("Write: %v", err)
			}
		}, nil, nil, "x", true},
		{"request completed", func(*async.Output) {}, func(x *wharftest.Exchange, a *async.Context) {
			if err := a.Complete(); err != nil {
				t.Errorf("Context.Complete: %v", err)
			}
			<-x.Done()
		}, api.ErrCompleted, "", false},
		{"file shorter than its section", func(out *async.Output) {
			if err := out.SendFile(short, 0, 10); err != nil {
				t.Errorf("SendFile: %v", err)
			}
		}, func(x *wharftest.Exchange, _ *async.Context) { <-x.Done() }, io.ErrUnexpectedEOF, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out *async.Output
			var a *async.Context
			calls := 0
			var cfg *exchange.Config
			if tt.now {
				cfg = &exchange.Config{Execute: func(f func()) { f() }}
			}
			x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				var err error
				if a, err = async.Start(r); err != nil {
					return err
				}
				out, err = a.SetWriteListener(listenerFunc(func(api.Response) {
					if calls++; calls == 1 {
						tt.first(out)
					}
				}))
				return err
			}), cfg)
			if tt.end != nil {
				tt.end(x, a)
			}
			err := out.Complete()
			<-x.Done()
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Output.Complete = %v, want nil", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Output.Complete = %v, want %v", err, tt.want)
			}
			if got := x.Out.Body(); got != tt.body {
				t.Errorf("body %q, want %q", got, tt.body)
			}
		})
	}
}
