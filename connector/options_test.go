package connector_test

import (
	"testing"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// "OPTIONS *" asks about the server: 200 with no body, on both connectors;
// another method with the asterisk form is a 400.
func TestOptionsAsterisk(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		addr := listen(t, c)
		resps, bodies, _ := roundTrip(t, addr, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET * HTTP/1.1\r\nHost: x\r\n\r\n", 2)
		if resps[0].StatusCode != 200 || bodies[0] != "" || resps[0].ContentLength != 0 {
			t.Errorf("OPTIONS *: %s %q", resps[0].Status, bodies[0])
		}
		if resps[1].StatusCode != 400 {
			t.Errorf("GET *: %s", resps[1].Status)
		}
	})
}
