package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A login body that does not decode (a script that wrote the password
// "50%off" into it unescaped) is a 400, and the error the filter returns,
// which request logs and traces record, holds no part of it: the URL
// parser's error quotes the bad escape, three bytes of the password.
func TestFormLoginMalformedBody(t *testing.T) {
	tests := []struct {
		name, body, secret string
	}{
		{"bad escape in the password", "user=ana&password=50%off", "%of"},
		{"truncated escape in the password", "user=ana&password=s3cret%4", "%4"},
		{"bad escape in the name", "user=a%zzna&password=x", "%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newFormApp(auth.FormConfig{Check: rolesCheck})
			h := wharftest.Head("POST", "/login", "Content-Type", "application/x-www-form-urlencoded")
			h.Body, h.ContentLength = readCloser{strings.NewReader(tc.body)}, int64(len(tc.body))
			err := a.chain.Serve(wharftest.NewRecorder(), api.NewRequest(context.Background(), h, nil))
			if api.StatusOf(err) != http.StatusBadRequest || !errors.Is(err, auth.ErrMalformedForm) {
				t.Fatalf("err %v (status %d), want a 400", err, api.StatusOf(err))
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("the error quotes the credentials: %q", err)
			}
		})
	}
}
