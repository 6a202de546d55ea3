package h3_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A handler may read the body on a goroutine of its own while it answers
// (a full-duplex exchange): the 100 (Continue) that the goroutine's first
// read sends must not touch the response's fields, which the handler's
// goroutine writes meanwhile. quic-go sends the fields of its header map
// with a 1xx, so a 100 sent through it reads the map the container fills
// as it commits the head: a data race, and a crash ("concurrent map
// iteration and map write") when they meet.
func TestExpectContinueWhileAnswering(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/duplex", func(w api.Response, r *api.Request) error {
		read := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, r.Body())
			read <- err
		}()
		for i := range 16 {
			w.Header().Set("X-Field-"+string(rune('a'+i)), "v")
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return <-read
	})
	addr, cl := serveH3(t, c)
	for range 50 {
		req, err := http.NewRequest("POST", "https://"+addr+"/duplex", strings.NewReader("abc"))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 3
		req.Header.Set("Expect", "100-continue")
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Field-a") != "v" {
			t.Fatalf("status %d, fields %v", resp.StatusCode, resp.Header)
		}
	}
}
