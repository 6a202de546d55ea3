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

// A URL that nats.go cannot parse is quoted whole in net/url's error, and
// an invalid escape in it is quoted too: Connect's error, which its caller
// is likely to log, carries neither the password nor the token all the
// same, nor a piece of them.
func TestURLPasswordNotInConnectError(t *testing.T) {
	for _, url := range []string{
		"nats://u:secret@[::1", // missing ']'
		"u:secret@[::1",
		"nats://secret@[::1",                         // a token
		"nats://u:secret@127.0.0.1:4222 x",           // invalid port
		"nats://127.0.0.1:4222,nats://u:secret@[::1", // the second server of a list
		"nats://u:%secret@127.0.0.1:4222",            // an invalid escape, "%se", in the password
	} {
		t.Run(url, func(t *testing.T) {
			b, err := natsbus.Connect(natsbus.Config{URL: url, Logger: wharftest.DiscardLogger()})
			if err == nil {
				b.Close()
				t.Fatal("Connect accepted a malformed URL")
			}
			if msg := err.Error(); strings.Contains(msg, "secret") || strings.Contains(msg, "%se") {
				t.Errorf("the credential is in Connect's error: %s", msg)
			}
		})
	}
}
