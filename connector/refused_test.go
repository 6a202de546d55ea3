package connector_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request the connector refuses itself reaches no filter, so no access
// log: the connector logs it at Debug, with the peer, the status sent (0
// for a connection closed unanswered) and the reason, on both connectors,
// and logs nothing of it when Debug is off.
func TestRefusedRequestLogged(t *testing.T) {
	cert := mustCert(t)
	tests := []struct {
		name   string
		cfg    connector.Config
		tls    bool
		raw    string // what the client sends before it reads to the end
		status int64
		reason string
	}{
		{name: "malformed head", raw: "GET /hello HTTP/1.1\r\nHost x\r\n\r\n", status: 400, reason: "h1: "},
		{name: "bad version", raw: "GET /hello HTTP/3.7\r\nHost: x\r\n\r\n", status: 505, reason: "h1: unsupported HTTP version"},
		{name: "head over the limit", cfg: connector.Config{MaxHeaderBytes: 1024},
			raw: "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("x", 4096) + "\r\n\r\n", status: 431, reason: "h1: header section too large"},
		{name: "slow head", cfg: connector.Config{ReadHeaderTimeout: 200 * time.Millisecond},
			raw: "GET /hello HTTP/1.1\r\nHost: x\r\n", status: 408, reason: "request header timeout"},
		{name: "bad TLS handshake", tls: true, raw: "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", status: 0, reason: "tls handshake: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachConnector(t, tt.cfg, func(t *testing.T, cfg connector.Config) {
				for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
					rec, logger := wharftest.NewLogRecorder()
					rec.Level = level
					opts := []container.Option{container.WithConnector(cfg), container.WithLogger(logger)}
					if tt.tls {
						opts = append(opts, container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
					}
					addr := serveRefusing(t, container.New(opts...), tt.tls)
					nc := wharftest.Dial(t, addr, 5*time.Second)
					remote := nc.LocalAddr().String()
					if _, err := io.WriteString(nc, tt.raw); err != nil {
						t.Fatal(err)
					}
					// The record is written before the answer, and the
					// answer before the close this read waits for.
					nc.SetReadDeadline(time.Now().Add(5 * time.Second))
					got, err := io.ReadAll(nc)
					nc.Close()
					if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
						t.Fatalf("reading the answer: %v", err)
					}
					if tt.status != 0 && !strings.Contains(string(got), " "+strconv.FormatInt(tt.status, 10)+" ") {
						t.Fatalf("answer %q, want a %d", got, tt.status)
					}
					recs := rec.RecordsOf("connector: request refused")
					if level > slog.LevelDebug {
						if len(recs) != 0 {
							t.Fatalf("at %v, logged %v", level, recs)
						}
						continue
					}
					if len(recs) != 1 {
						t.Fatalf("got %d records, want 1: %v", len(recs), rec.Records())
					}
					a := recs[0].Attrs
					if recs[0].Level != slog.LevelDebug || a["remote"].String() != remote || a["status"].Int64() != tt.status ||
						!strings.HasPrefix(a["reason"].String(), tt.reason) || a["proto"].String() == "" {
						t.Fatalf("record %v %v, want remote %s status %d reason %q...", recs[0].Level, a, remote, tt.status, tt.reason)
					}
				}
			})
		})
	}
}

// serveRefusing serves c (with ServeTLS, from its TLS configuration, if
// tlsOn) on a fresh port until the test ends.
func serveRefusing(t *testing.T, c *container.Container, tlsOn bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		if tlsOn {
			done <- c.ServeTLS(l, "", "")
		} else {
			done <- c.Serve(l)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Shutdown(ctx)
		c.Close()
		<-done
	})
	return l.Addr().String()
}
