package session_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// A last-access write that fails is the request's failure while the
// response can still say so; once it committed, it is logged and the
// response completes: the client would otherwise lose an answer over
// bookkeeping. A failed save of the request's own changes still fails it.
func TestFailedTouchAfterCommit(t *testing.T) {
	tests := []struct {
		name    string
		commit  bool
		change  bool
		wantErr bool
	}{
		{"touch before commit", false, false, true},
		{"touch after commit", true, false, false},
		{"change after commit", true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				boom := errors.New("boom")
				mem := session.NewMemoryStore(session.MemoryConfig{})
				defer mem.Close()
				var failing atomic.Bool
				logs, logger := wharftest.NewLogRecorder()
				m := session.New(session.Config{Store: saveFails{mem, &failing, boom}, IdleTimeout: 30 * time.Minute, Logger: logger})
				w, _ := serve(t, m, "", nil, set("k", "v"))
				id := setCookie(t, w).Value
				time.Sleep(10 * time.Minute) // past a quarter of IdleTimeout: the last access is due
				failing.Store(true)
				w, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
					s := session.Of(r)
					if tc.commit {
						if _, err := w.WriteString("hello"); err != nil {
							return err
						}
						if err := w.Flush(); err != nil {
							return err
						}
					}
					if tc.change {
						s.Set("k", "w")
					}
					return nil
				})
				if tc.wantErr != errors.Is(err, boom) || !tc.wantErr && err != nil {
					t.Fatalf("err = %v, want the save's: %v", err, tc.wantErr)
				}
				if tc.commit && w.Body() != "hello" {
					t.Errorf("body %q", w.Body())
				}
				if !tc.wantErr && len(logs.Records()) == 0 {
					t.Error("the failed write was not logged")
				}
			})
		})
	}
}
