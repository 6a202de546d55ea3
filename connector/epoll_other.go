//go:build !linux

package connector

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/wharf-go/wharf/dispatcher"
)

// The epoll connector exists only on Linux; elsewhere every listener is
// served by the portable connector.

type selector struct{}

func (s *selector) strategyStats() dispatcher.StrategyStats { return dispatcher.StrategyStats{} }
func (s *selector) timers() int                             { return 0 }

func (s *Server) serveEpoll(net.Listener, *tls.Config) (bool, error) { return false, nil }
func (s *Server) stopSelectors(context.Context)                      {}

// lingerNB is the epoll connector's: no connection lingers idle here.
func (c *conn) lingerNB() {}

// drainNB is the epoll connector's: no connection discards a body idle
// here.
func (c *conn) drainNB() bool { return true }
