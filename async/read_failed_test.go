package async_test

import (
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// endRecorder is a ReadListener that reads all it is given and records
// its last callbacks.
type endRecorder struct {
	in *async.Input

	mu       sync.Mutex
	allRead  int
	errs     []error
	readSome chan struct{} // closed at the first byte read
	once     sync.Once
	allDone  chan struct{} // closed at OnAllDataRead
}

func (e *endRecorder) OnDataAvailable(api.Response) {
	buf := make([]byte, 64)
	for {
		n, err := e.in.Read(buf)
		if n > 0 {
			e.once.Do(func() { close(e.readSome) })
		}
		if err != nil {
			return
		}
	}
}

func (e *endRecorder) OnAllDataRead(api.Response) {
	e.mu.Lock()
	if e.allRead++; e.allRead == 1 {
		close(e.allDone)
	}
	e.mu.Unlock()
}

func (e *endRecorder) OnError(_ api.Response, err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// A request that fails while its body is being read (its client left,
// noticed by the connection; Fail) tells the ReadListener's OnError, once,
// with the request's error, as a WriteListener's is: the callbacks still
// queued are dropped with the request, and a body the connection gave up
// may never call back, so a listener that cleans up in OnError (a partial
// upload) never heard of the end. Once OnAllDataRead was called, the
// failure is not told to the listener again.
func TestReadListenerToldOfRequestFailure(t *testing.T) {
	gone := errors.New("client gone")
	for _, tt := range []struct {
		name    string
		ended   bool // the body is read to its end first
		fail    func(x *wharftest.Exchange, a *async.Context) error
		wantErr error // nil: OnAllDataRead, not OnError
	}{
		{"Exchange.Fail mid-body", false, func(x *wharftest.Exchange, _ *async.Context) error { return x.Fail(gone) }, gone},
		{"Context.Fail mid-body", false, func(_ *wharftest.Exchange, a *async.Context) error { return a.Fail(gone) }, gone},
		{"Exchange.Fail after the end", true, func(x *wharftest.Exchange, _ *async.Context) error { return x.Fail(gone) }, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			head := wharftest.Head("POST", "/up")
			head.Body = pr
			rec := &endRecorder{readSome: make(chan struct{}), allDone: make(chan struct{})}
			var a *async.Context
			x := wharftest.NewExchangeFor(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				var err error
				if a, err = async.Start(r); err != nil {
					return err
				}
				rec.in, err = a.SetReadListener(rec)
				return err
			}), head, nil)
			x.Begin()
			if _, err := pw.Write([]byte("part")); err != nil {
				t.Fatal(err)
			}
			<-rec.readSome
			if tt.ended {
				pw.Close()
				<-rec.allDone
			}
			if err := tt.fail(x, a); err != nil {
				t.Fatal(err)
			}
			<-x.Done()
			pw.CloseWithError(io.ErrUnexpectedEOF) // the read-ahead goroutine ends
			rec.mu.Lock()
			defer rec.mu.Unlock()
			switch {
			case tt.wantErr == nil:
				if rec.allRead != 1 || len(rec.errs) != 0 {
					t.Errorf("OnAllDataRead %d times, OnError %v; want once, never", rec.allRead, rec.errs)
				}
			case rec.allRead != 0 || len(rec.errs) != 1 || !errors.Is(rec.errs[0], tt.wantErr):
				t.Errorf("OnAllDataRead %d times, OnError %v; want never, once with %v", rec.allRead, rec.errs, tt.wantErr)
			}
		})
	}
}
