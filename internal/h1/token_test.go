package h1_test

import (
	"testing"

	"github.com/wharf-go/wharf/internal/h1"
)

func TestCutToken(t *testing.T) {
	for _, tt := range []struct{ in, token, rest string }{
		{"", "", ""},
		{"permessage-deflate; x", "permessage-deflate", "; x"},
		{"for=1", "for", "=1"},
		{"!#$%&'*+-.^_`|~09azAZ rest", "!#$%&'*+-.^_`|~09azAZ", " rest"},
		{`"quoted"`, "", `"quoted"`},
		{"a,b", "a", ",b"},
		{"tok\x80", "tok", "\x80"},
	} {
		if token, rest := h1.CutToken(tt.in); token != tt.token || rest != tt.rest {
			t.Errorf("CutToken(%q) = %q, %q; want %q, %q", tt.in, token, rest, tt.token, tt.rest)
		}
	}
}
