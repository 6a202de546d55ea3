package natsembed

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A broker starts on a free port and stops; on a port in use, Start fails
// at once with the cause instead of waiting for a broker that cannot come.
func TestStart(t *testing.T) {
	ns, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := ns.Addr().String()
	start := time.Now()
	if _, err := Start(busy); err == nil {
		t.Fatal("a second broker started on a port in use")
	} else if time.Since(start) > 5*time.Second {
		t.Fatalf("failing on a busy port took %v", time.Since(start))
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	if _, err := Start("127.0.0.1:x"); err == nil {
		t.Fatal("a port that is not a number was accepted")
	}
	l, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatalf("the port is not free after Shutdown: %v", err)
	}
	l.Close()
}

// StartJetStream enables JetStream with its files in the directory given,
// and refuses to start without one; Start leaves JetStream off.
func TestStartJetStream(t *testing.T) {
	tests := []struct {
		name   string
		start  func() (*server.Server, error)
		wantJS bool
		fails  bool
	}{
		{"plain", func() (*server.Server, error) { return Start("127.0.0.1:0") }, false, false},
		{"jetstream", func() (*server.Server, error) { return StartJetStream("127.0.0.1:0", t.TempDir()) }, true, false},
		{"jetstream without a directory", func() (*server.Server, error) { return StartJetStream("127.0.0.1:0", "") }, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := tc.start()
			if tc.fails {
				if err == nil {
					ns.Shutdown()
					ns.WaitForShutdown()
					t.Fatal("started")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
			if got := ns.JetStreamEnabled(); got != tc.wantJS {
				t.Fatalf("JetStreamEnabled = %v, want %v", got, tc.wantJS)
			}
		})
	}
}
