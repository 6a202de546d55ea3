package container

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	engine "github.com/wharf-go/wharf/internal/exchange"
)

// TestEndByShutdown proves the methods Shutdown and Close are to end
// requests with (engine.Exchange.ExpireForShutdown, completeByShutdown): the request's Result says
// async.EndShutdown. (That an answered request is not relabelled is
// async's TestResultEnd.)
func TestEndByShutdown(t *testing.T) {
	tests := []struct {
		name   string
		end    func(x *exchange)
		status int
		body   string
	}{
		{"expired by Shutdown", func(x *exchange) { _ = x.ax.ExpireForShutdown(true) }, 503, "going away"},
		{"completed by Close", (*exchange).completeByShutdown, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			suspended := make(chan *engine.Exchange, 1)
			c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				if cont.IsExpired() {
					w.SetStatus(http.StatusServiceUnavailable)
					_, err := w.WriteString("going away")
					return err
				}
				cont.SetTimeout(time.Hour)
				if err := cont.Suspend(); err != nil {
					return err
				}
				suspended <- engine.From(r)
				return nil
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- c.Serve(l) }()
			tr := &http.Transport{}
			defer func() {
				tr.CloseIdleConnections()
				c.Shutdown(context.Background())
				<-served
			}()
			client := &http.Client{Transport: tr}

			type reply struct {
				code int
				body string
			}
			got := make(chan reply, 1)
			go func() {
				resp, err := client.Get("http://" + l.Addr().String() + "/wait")
				if err != nil {
					got <- reply{}
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- reply{resp.StatusCode, string(b)}
			}()
			ex := <-suspended
			for _, x := range c.live.snapshot() {
				if &x.ax == ex {
					tt.end(x)
				}
			}
			if r := <-got; r.code != tt.status || r.body != tt.body {
				t.Errorf("client got %d %q, want %d %q", r.code, r.body, tt.status, tt.body)
			}
			<-ex.Done()
			if res, _ := ex.Result(); res.End != async.EndShutdown {
				t.Errorf("Result %+v, want End shutdown", res)
			}

		})
	}
}
