package container_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
)

// TestPrepare: the container maps a request once, in Prepare, and the
// Prepared request says how its whole chain may be invoked, for the
// method it has; Start then serves what was mapped.
func TestPrepare(t *testing.T) {
	nb := api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("nb")
		return err
	})
	blocking := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("b")
		return err
	})
	pass := func(w api.Response, r *api.Request, next api.Chain) error { return next.Next(w, r) }
	c := container.New()
	c.Handle("GET /nb", nb)
	c.Handle("POST /nb", blocking)
	c.Handle("/nb-filtered", nb)
	c.Handle("/nb-nbfilter", nb)
	c.FilterFunc("/nb-filtered", pass)
	c.Filter("/nb-nbfilter", nbInvoker(pass))
	c.Handle("/blocking", blocking)
	c.Start()
	for _, tc := range []struct {
		method, path string
		want         api.InvocationType
		body         int
	}{
		{"GET", "/nb", api.NonBlocking, 2},
		{"HEAD", "/nb", api.NonBlocking, 2},
		{"POST", "/nb", api.Blocking, 1},
		{"DELETE", "/nb", api.NonBlocking, 0}, // the 405 answer never blocks
		{"GET", "/nb-filtered", api.Blocking, 2},
		{"GET", "/nb-nbfilter", api.NonBlocking, 2},
		{"GET", "/blocking", api.Blocking, 1},
		{"GET", "/missing", api.Blocking, 0},
	} {
		s := &fakeStream{head: api.RequestHead{Method: tc.method, Target: tc.path, Path: tc.path, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}}
		var p connector.Prepared = c.Prepare(s)
		if got := p.InvocationType(); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.path, got, tc.want)
		}
		if s.written != 0 {
			t.Errorf("%s %s: Prepare wrote %d bytes", tc.method, tc.path, s.written)
		}
		p.Start()
		if tc.body > 0 && s.written != tc.body {
			t.Errorf("%s %s: Start wrote %d bytes, want %d", tc.method, tc.path, s.written, tc.body)
		}
	}
	if st := c.Stats(); st.Requests != 8 || st.Active != 0 {
		t.Errorf("Stats = %+v after 8 prepared and started requests", st)
	}
}

// nbInvoker is a filter that declares itself NonBlocking.
type nbInvoker func(w api.Response, r *api.Request, next api.Chain) error

func (f nbInvoker) Filter(w api.Response, r *api.Request, next api.Chain) error { return f(w, r, next) }
func (nbInvoker) InvocationType() api.InvocationType                            { return api.NonBlocking }
