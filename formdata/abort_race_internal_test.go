package formdata

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestAbortLeavesUnstartedParseAsync: a claim that finds its request
// ended while a ParseAsync holds the parse but has not started async mode
// yet (a call after the request ended, from a goroutine of the handler's,
// whose async.Start then fails) is refused, as any claim while a
// ParseAsync reads: that call releases the parse unread, or settles it
// itself, so an abort in between would be overwritten by neither and
// would make its release panic, and would tell the claim that the form
// was lost while the body was still there to read.
func TestAbortLeavesUnstartedParseAsync(t *testing.T) {
	x := wharftest.Run(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }),
		wharftest.Head("POST", "/", "Content-Type", "application/x-www-form-urlencoded"))
	if _, ok := x.Exchange.Result(); !ok {
		t.Fatal("the request has no result")
	}
	for _, tt := range []struct {
		name string
		end  func(p *parsed) // what the ParseAsync does once async.Start failed
		want parseState
	}{
		{"released", (*parsed).release, unparsed},
		{"settled", func(p *parsed) { p.settle(nil, errors.New("its own outcome")) }, settled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &parsed{ex: x.Exchange}
			if c, _, _ := p.claim(true); c != parseFirst {
				t.Fatalf("ParseAsync's claim: %v", c)
			}
			if c, _, err := p.claim(false); c != refused || !errors.Is(err, api.ErrWrongState) {
				t.Errorf("Parse's claim while ParseAsync holds the parse: %v, %v; want refused, ErrWrongState", c, err)
			}
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("the ParseAsync's end panicked: %v", r)
				}
				if p.state != tt.want {
					t.Errorf("state %v, want %v", p.state, tt.want)
				}
			}()
			tt.end(p)
		})
	}
}
