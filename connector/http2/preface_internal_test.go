package http2

import (
	"bytes"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
)

// The server's connection preface is its SETTINGS frame (RFC 9113 §3.4),
// even on a connection that fails before the writer first ran: the GOAWAY
// of a bad client preface goes ahead of what else is queued, not of that.
func TestH2SettingsBeforeGoAway(t *testing.T) {
	var ping bytes.Buffer
	xhttp2.NewFramer(&ping, nil).WritePing(false, [8]byte{})
	for _, tc := range []struct {
		name  string
		input string // all the client sends
		code  xhttp2.ErrCode
	}{
		{"bad client preface", strings.Repeat("x", len(xhttp2.ClientPreface)), xhttp2.ErrCodeProtocol},
		{"preface without SETTINGS", xhttp2.ClientPreface + ping.String(), xhttp2.ErrCodeProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cli, sc := net.Pipe()
				defer cli.Close()
				hc := newServerConn(&Server{}, &connector.Handover{
					Conn: sc, Reader: strings.NewReader(tc.input),
					Info:   &api.ConnInfo{},
					Limits: (&connector.Config{}).Limits(), Logger: slog.New(slog.DiscardHandler),
					Books: pipeBooks{sc},
				})
				// The writer starts only once the reader has ended the
				// connection: the order a loaded machine may choose.
				release := make(chan struct{})
				hc.writer = func() {
					<-release
					hc.writeLoop()
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					hc.serve()
				}()
				synctest.Wait()
				close(release)
				fr := xhttp2.NewFramer(nil, cli)
				var kinds []string
				for {
					f, err := fr.ReadFrame()
					if err != nil {
						break
					}
					kinds = append(kinds, f.Header().Type.String())
					if g, ok := f.(*xhttp2.GoAwayFrame); ok && g.ErrCode != tc.code {
						t.Errorf("GOAWAY %v, want %v", g.ErrCode, tc.code)
					}
				}
				<-done
				if len(kinds) == 0 || kinds[0] != "SETTINGS" || !slices.Contains(kinds, "GOAWAY") {
					t.Fatalf("the server sent %v; want its SETTINGS first, and a GOAWAY", kinds)
				}
			})
		})
	}
}
