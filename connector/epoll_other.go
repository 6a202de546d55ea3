//go:build !linux

package connector

import (
	"net"

	"github.com/wharf-go/wharf/dispatcher"
)

// The epoll connector exists only on Linux; elsewhere every listener is
// served by the portable connector.

type epListener struct{}
type selector struct{}

func (s *selector) strategyStats() dispatcher.StrategyStats { return dispatcher.StrategyStats{} }

type fdConn struct{}

func (s *Server) epollListener(net.Listener) (*epListener, bool) { return nil, false }
func (s *Server) serveEpoll(*epListener) error                   { panic("unreachable") }
func (s *Server) stopSelectors()                                 {}
func (c *conn) resumeEP(*stream)                                 { panic("unreachable") }
func (c *conn) readNB() (int, error)                             { panic("unreachable") }
func (c *conn) writeNB([]byte)                                   { panic("unreachable") }
func (f *fdConn) claimIdle() bool                                { return false }
func (f *fdConn) writev([][]byte) error                          { panic("unreachable") }
func (f *fdConn) toNetConn() (net.Conn, error)                   { panic("unreachable") }

var errWouldBlock error

func (f *fdConn) shutdown()                 {}
func (c *conn) tryFill([]byte) (int, error) { panic("unreachable") }
func (f *fdConn) notifyReadable(func())     {}
func (f *fdConn) Write([]byte) (int, error) { panic("unreachable") }
func (f *fdConn) liftNoPark() bool          { return false }
func (c *conn) continueEP(*stream)          { panic("unreachable") }
