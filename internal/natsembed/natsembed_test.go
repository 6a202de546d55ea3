package natsembed

import (
	"net"
	"testing"
	"time"

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
