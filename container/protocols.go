package container

import (
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/connector/http2"
)

// plugProtocols gives the connector the protocols it hands connections
// over to (connector.Protocol) unless the configuration names its own:
// HTTP/2, for TLS connections whose ALPN chose "h2" and for h2c.
func plugProtocols(cfg *connector.Config) {
	if cfg.HTTP2 == nil {
		cfg.HTTP2 = &http2.Server{}
	}
}

// ConnectorConfig returns the connector configuration the container
// serves with: WithConnector's, with the other options applied. The
// protocols served beside the connector (package h3's HTTP/3) take their
// limits and timeouts from it, so that one configuration governs every
// protocol. Any goroutine may call it.
func (c *Container) ConnectorConfig() connector.Config { return c.cfg.connector }
