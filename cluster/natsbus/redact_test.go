package natsbus_test

import (
	"strings"
	"testing"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A URL may carry the broker's password (nats://user:password@host), as
// nats.go allows: the Bus's log names the broker without it, as nats.go's
// redacted URL does once connected.
func TestURLPasswordNotLogged(t *testing.T) {
	broker := natstest.ForTest(t)
	broker.Stop() // so that Connect warns the broker is not reachable
	host := strings.TrimPrefix(broker.URL, "nats://")
	for _, url := range []string{
		"nats://u:secret@" + host,
		"u:secret@" + host,
		"nats://a:secret@" + host + ", nats://b:secret@" + host,
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
