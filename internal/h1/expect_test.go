package h1_test

import (
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/h1"
)

var expectCases = []struct {
	value       string
	cont, other bool
}{
	{"", false, false},
	{"100-continue", true, false},
	{"100-Continue", true, false},
	{" \t100-CONTINUE\t ", true, false},
	{", ,", false, false},
	{",\t, 100-Continue \t,,", true, false},
	{"teapot", false, true},
	{"100-continue, teapot", true, true},
	{"teapot,100-continue", true, true},
	{"100-continue=1", false, true},
	{"100-continued", false, true},
	{"a=\"b, 100-continue\"", false, true},
	{"100 -continue", false, true},
}

// ExpectMembers gives the same verdicts for a string and a byte slice,
// which HTTP/2 and HTTP/3 hand it and HTTP/1.1's parser hands it.
func TestExpectMembers(t *testing.T) {
	for _, tc := range expectCases {
		cont, other := h1.ExpectMembers(tc.value)
		bcont, bother := h1.ExpectMembers([]byte(tc.value))
		if cont != tc.cont || other != tc.other || bcont != cont || bother != other {
			t.Errorf("ExpectMembers(%q) = %v, %v (bytes: %v, %v), want %v, %v",
				tc.value, cont, other, bcont, bother, tc.cont, tc.other)
		}
	}
}

// FuzzExpectMembers holds ExpectMembers to RFC 9110 §5.6.1's list read
// with the strings package: members split at commas, OWS trimmed, empty
// ones skipped, 100-continue in any ASCII case.
func FuzzExpectMembers(f *testing.F) {
	for _, tc := range expectCases {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var cont, other bool
		for _, m := range strings.Split(value, ",") {
			switch m = strings.Trim(m, " \t"); {
			case m == "":
			case len(m) == len("100-continue") && strings.EqualFold(m, "100-continue"):
				// strings.EqualFold folds Unicode too ("K" for the
				// Kelvin sign), which a token never holds: same
				// length in bytes keeps it to ASCII here.
				cont = true
			default:
				other = true
			}
		}
		gc, gother := h1.ExpectMembers(value)
		bc, bother := h1.ExpectMembers([]byte(value))
		if gc != cont || gother != other || bc != cont || bother != other {
			t.Fatalf("ExpectMembers(%q) = %v, %v (bytes: %v, %v), want %v, %v", value, gc, gother, bc, bother, cont, other)
		}
	})
}
