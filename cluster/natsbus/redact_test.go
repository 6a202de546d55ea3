package natsbus_test

import (
	"strings"
	"testing"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A URL may carry the broker's password (nats://user:password@host), or
// its token (nats://token@host), as nats.go allows: the Bus's log names the
// broker without either, connected or not.
func TestURLPasswordNotLogged(t *testing.T) {
	broker := natstest.ForTest(t)
	broker.Stop() // so that Connect warns the broker is not reachable
	host := strings.TrimPrefix(broker.URL, "nats://")
	for _, url := range []string{
		"nats://u:secret@" + host,
		"u:secret@" + host,
		"nats://a:secret@" + host + ", nats://b:secret@" + host,
		"nats://secret@" + host, // a token: nats.go takes a user without a password for one
		"secret@" + host,
	} {
		t.Run(url, func(t *testing.T) {
			rec, logger := wharftest.NewLogRecorder()
			b := connect(t, url, natsbus.Config{Logger: logger})
			b.Close()
			records := rec.Records()
			if len(records) == 0 {
				t.Fatal("nothing logged of the broker being away")
			}
			for _, r := range records {
				for k, v := range r.Attrs {
					if strings.Contains(r.Message, "secret") || strings.Contains(v.String(), "secret") {
						t.Errorf("the password is in the log: %q %s=%q", r.Message, k, v)
					}
				}
			}
		})
	}
}

// Once connected, the Bus logs the broker's URL as nats.go knows it: with
// a token in it, the token must not be there either (nats.go's redacted
// URL masks a password only).
func TestURLTokenNotLoggedConnected(t *testing.T) {
	broker := natstest.ForTest(t)
	host := strings.TrimPrefix(broker.URL, "nats://")
	for _, url := range []string{"nats://u:secret@" + host, "nats://secret@" + host} {
		t.Run(url, func(t *testing.T) {
			rec, logger := wharftest.NewLogRecorder()
			connect(t, url, natsbus.Config{Logger: logger})
			wharftest.WaitFor(t, "the connection logged", func() bool {
				for _, r := range rec.Records() {
					if strings.HasPrefix(r.Message, "natsbus: connected") {
						return true
					}
				}
				return false
			})
			for _, r := range rec.Records() {
				for k, v := range r.Attrs {
					if strings.Contains(r.Message, "secret") || strings.Contains(v.String(), "secret") {
						t.Errorf("the credential is in the log: %q %s=%q", r.Message, k, v)
					}
				}
			}
		})
	}
}
