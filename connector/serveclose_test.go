package connector_test

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/connector"
)

// closeRecorder is a listener that says whether it was closed; with
// acceptErr, its Accept fails with that for good.
type closeRecorder struct {
	net.Listener
	acceptErr error
	closed    atomic.Bool
}

func (l *closeRecorder) Accept() (net.Conn, error) {
	if l.acceptErr != nil {
		return nil, l.acceptErr
	}
	return l.Listener.Accept()
}

func (l *closeRecorder) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

// A Serve that fails closes its listener, as net/http's does: a program
// that logs the error and goes on (or retries on another port) kept the
// port bound for nothing, and had no way to know it should close it.
func TestServeClosesListenerOnError(t *testing.T) {
	errBroken := errors.New("listener broken")
	tests := []struct {
		name    string
		cfg     connector.Config
		wrap    func(net.Listener) net.Listener
		broken  bool // Accept fails for good
		wantErr error
	}{
		{"accept fails", connector.Config{Portable: true}, func(l net.Listener) net.Listener { return l }, true, errBroken},
		{"TLS without certificate", connector.Config{}, func(l net.Listener) net.Listener { return connector.NewTLSListener(l, nil) }, false, connector.ErrNoCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer tl.Close()
			rec := &closeRecorder{Listener: tl}
			if tt.broken {
				rec.acceptErr = errBroken
			}
			srv := &connector.Server{Config: tt.cfg, Handler: streamFunc(func(s connector.Stream) { s.Finish(nil) })}
			defer srv.Close()
			if err := srv.Serve(tt.wrap(rec)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Serve = %v, want %v", err, tt.wantErr)
			}
			if !rec.closed.Load() {
				t.Error("Serve returned its error with the listener still open")
			}
		})
	}
}
