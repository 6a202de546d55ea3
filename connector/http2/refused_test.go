package http2_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request reset as malformed, or answered before dispatch, reaches no
// filter: it is logged at Debug as package connector logs HTTP/1.1's,
// with the peer and the status sent (0 for a reset), and not at Info.
func TestRefusedRequestLogged(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   string // the answer on the stream
		status int64
		reason string
	}{
		{name: "malformed", fields: append(append([]string(nil), h2Get[:6]...), ":path", "hello"), want: "RST_STREAM PROTOCOL_ERROR", status: 0, reason: "http2: request reset: PROTOCOL_ERROR"},
		{name: "pseudo-header", fields: append(append([]string(nil), h2Get...), ":foo", "x"), want: "RST_STREAM PROTOCOL_ERROR", status: 0, reason: "http2: request reset: PROTOCOL_ERROR"},
		{name: "well-formed", fields: h2Get, want: "200"},
	}
	for _, tt := range tests {
		for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
			t.Run(tt.name+"/"+level.String(), func(t *testing.T) {
				rec, logger := wharftest.NewLogRecorder()
				rec.Level = level
				addr, _ := abuseServerLogging(t, logger)
				c := dialH2C(t, addr)
				c.nc.SetDeadline(time.Now().Add(10 * time.Second))
				remote := c.nc.LocalAddr().String()
				c.writeBlock(t, 1, c.block(tt.fields...), true)
				got, err := c.outcome(1)
				if err != nil || got != tt.want {
					t.Fatalf("answer %q, %v; want %s", got, err, tt.want)
				}
				// The record is written before the reset is queued.
				recs := rec.RecordsOf("connector: request refused")
				if level > slog.LevelDebug || tt.reason == "" {
					if len(recs) != 0 {
						t.Fatalf("logged %v", recs)
					}
					return
				}
				if len(recs) != 1 {
					t.Fatalf("got %d records, want 1: %v", len(recs), rec.Records())
				}
				a := recs[0].Attrs
				if a["remote"].String() != remote || a["status"].Int64() != tt.status ||
					!strings.HasPrefix(a["reason"].String(), tt.reason) || a["proto"].String() != "HTTP/2.0" {
					t.Fatalf("record %v, want remote %s status %d reason %q", a, remote, tt.status, tt.reason)
				}
			})
		}
	}
}
