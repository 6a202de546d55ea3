package wsext

import (
	"strings"
	"testing"
)

// acceptDeflateCases are Sec-WebSocket-Extensions fields, a slice a
// request, and whether they hold an offer of permessage-deflate the
// server can honour.
var acceptDeflateCases = []struct {
	offers []string
	want   bool
}{
	// The syntax of RFC 6455 §9.1: spaces where the grammar allows them,
	// empty list elements, quoted values; a field value that does not
	// parse offers nothing.
	{[]string{"  permessage-deflate  "}, true},
	{[]string{", ,permessage-deflate ,"}, true},
	{[]string{"permessage-deflate ; client_max_window_bits = 9"}, true},
	{[]string{`permessage-deflate; client_max_window_bits="1\5"`}, true},
	{[]string{`permessage-deflate; client_max_window_bits="15`}, false},
	{[]string{"permessage-deflate; client_max_window_bits="}, false},
	{[]string{"permessage-deflate;"}, false},
	{[]string{"permessage-deflate junk"}, false},
	{[]string{"permessage-deflate; x=1 junk, permessage-deflate"}, false},
	{[]string{"permessage-deflate, junk junk"}, false}, // a value that does not parse offers nothing, however it begins
	{[]string{"permessage-deflate, x-ext; a=\"\x01\""}, false},
	{[]string{"permessage-deflate, junk junk", "permessage-deflate"}, true},
	{[]string{""}, false},
	{nil, false},
	// A quoted-pair escapes no control character but HTAB (RFC 9110
	// §5.6.4): the value, and so the field, does not parse.
	{[]string{"x-ext; a=\"\\\x01\", permessage-deflate"}, false},
	{[]string{"x-ext; a=\"\\\x7f\", permessage-deflate"}, false},
	{[]string{"x-ext; a=\"\\\t\", permessage-deflate"}, true},
	// The parameters of RFC 7692 §7, as the server can honour them.
	{[]string{"permessage-deflate"}, true},
	{[]string{"permessage-deflate; client_max_window_bits"}, true},
	{[]string{"permessage-deflate; client_max_window_bits=10"}, true},
	{[]string{"permessage-deflate;client_max_window_bits=8"}, true},
	{[]string{"permessage-deflate; server_max_window_bits=15"}, true},
	{[]string{`permessage-deflate; server_max_window_bits="15"`}, true},
	{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, true},
	{[]string{"permessage-deflate; server_max_window_bits=10"}, false},
	{[]string{"permessage-deflate; server_max_window_bits=8; client_max_window_bits"}, false},
	{[]string{"permessage-deflate; server_max_window_bits"}, false},
	{[]string{"permessage-deflate; server_max_window_bits=16"}, false},
	{[]string{"permessage-deflate; client_max_window_bits=7"}, false},
	{[]string{"permessage-deflate; client_max_window_bits=010"}, false},
	{[]string{"permessage-deflate; server_no_context_takeover=1"}, false},
	{[]string{"permessage-deflate; client_no_context_takeover; client_no_context_takeover"}, false},
	{[]string{"permessage-deflate; x-unknown"}, false},
	{[]string{"permessage-deflate; x-unknown=1"}, false},
	{[]string{"Permessage-Deflate"}, false},
	{[]string{"x-webkit-deflate-frame"}, false},
	{[]string{"permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits"}, true},
	{[]string{"x-webkit-deflate-frame, permessage-deflate"}, true},
	{[]string{"permessage-deflate; server_max_window_bits=12", "permessage-deflate"}, true},
	{[]string{"permessage-deflate; server_max_window_bits=12", "permessage-deflate; foo"}, false},
}

func TestAcceptDeflate(t *testing.T) {
	for _, tc := range acceptDeflateCases {
		if _, got := AcceptDeflate(tc.offers); got != tc.want {
			t.Errorf("AcceptDeflate(%q) = %v, want %v", tc.offers, got, tc.want)
		}
	}
}

// deflateAnswerCases are offers the server accepts, and its answer: the
// same but for server_max_window_bits, which it answers when the offer
// asked for it (RFC 7692 §7.1.2.1), with the one value it honours.
var deflateAnswerCases = []struct {
	offers []string
	answer string
}{
	{[]string{"permessage-deflate"}, answerNoWindow},
	{[]string{"permessage-deflate; client_max_window_bits"}, answerNoWindow},
	{[]string{"permessage-deflate; client_max_window_bits=10"}, answerNoWindow},
	{[]string{"permessage-deflate; server_no_context_takeover"}, answerNoWindow},
	{[]string{"permessage-deflate; server_max_window_bits=15"}, answerWindow},
	{[]string{`permessage-deflate; server_max_window_bits="15"; client_max_window_bits`}, answerWindow},
	{[]string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_no_context_takeover"}, answerWindow},
	// The offer accepted is the one answered, not an earlier one declined
	// nor a later one.
	{[]string{"permessage-deflate; server_max_window_bits=10, permessage-deflate"}, answerNoWindow},
	{[]string{"permessage-deflate; server_max_window_bits=12", "permessage-deflate; server_max_window_bits=15"}, answerWindow},
	{[]string{"permessage-deflate, permessage-deflate; server_max_window_bits=15"}, answerNoWindow},
}

const (
	answerNoWindow = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	answerWindow   = answerNoWindow + "; server_max_window_bits=15"
)

// An accepted offer that asked for server_max_window_bits is answered
// with it: the answer left it out, which a client may read as the offer
// declined (RFC 7692 §7.1.2.1: a server accepts the parameter by
// answering it).
func TestDeflateAnswer(t *testing.T) {
	for _, tc := range deflateAnswerCases {
		if got, ok := AcceptDeflate(tc.offers); !ok || got != tc.answer {
			t.Errorf("AcceptDeflate(%q) = %q, %v; want %q", tc.offers, got, ok, tc.answer)
		}
	}
}

// FuzzAcceptDeflate feeds the parser any field value (seeded from the
// table tests). It must not panic; the offer it accepts must hold only
// parameters the server can honour; that offer, written again in the
// canonical form, or with every value quoted and escaped and spaces
// wherever the grammar allows them, or after a declined offer, must be
// accepted as the same offer; and a field that offers nothing must not
// keep the next field's offer from being considered.
func FuzzAcceptDeflate(f *testing.F) {
	for _, tc := range acceptDeflateCases {
		for _, s := range tc.offers {
			f.Add(s)
		}
	}
	for _, tc := range deflateAnswerCases {
		for _, s := range tc.offers {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := firstDeflate(s)
		answer, accepted := AcceptDeflate([]string{s})
		if accepted != ok {
			t.Fatalf("%q: AcceptDeflate says %v, firstDeflate %v", s, accepted, ok)
		}
		if _, ok := AcceptDeflate([]string{s, "permessage-deflate"}); !ok {
			t.Fatalf("%q, then permessage-deflate: declined", s)
		}
		if !ok {
			return
		}
		// The answer is server_max_window_bits=15 just when the offer
		// asked for a window, and it reads as an offer the server would
		// accept, of the parameters it says.
		want := answerNoWindow
		if o.params&serverMaxWindowBits != 0 {
			want = answerWindow
		}
		if a, ok := firstDeflate(answer); answer != want || !ok || a.params&^serverMaxWindowBits != serverNoContextTakeover|clientNoContextTakeover {
			t.Fatalf("%q accepted %+v: answered %q, want %q", s, o, answer, want)
		}
		if o.params&^(serverNoContextTakeover|clientNoContextTakeover|serverMaxWindowBits|clientMaxWindowBits) != 0 ||
			o.clientBits != "" && (o.params&clientMaxWindowBits == 0 || !windowBits(o.clientBits)) {
			t.Fatalf("%q: accepted %+v", s, o)
		}
		for _, again := range []string{
			o.canonical(),
			o.spelled(" \t", quoteAll),
			"x-webkit-deflate-frame; a=\"\\\"b\\\", c\", " + o.canonical(),
			"permessage-deflate; server_max_window_bits=9," + o.canonical(),
		} {
			if got, ok := firstDeflate(again); !ok || got != o {
				t.Errorf("%q accepted %+v; written again, %q: %+v, %v", s, o, again, got, ok)
			}
		}
	})
}

// canonical is o as a client writes it: no spaces but after each
// semicolon, values as tokens.
func (o offer) canonical() string {
	return o.spelled("", func(v string) string { return v })
}

// spelled is o written with the spaces sp wherever RFC 6455 §9.1 allows
// them, its values as quote makes them.
func (o offer) spelled(sp string, quote func(string) string) string {
	var b strings.Builder
	b.WriteString(sp + "permessage-deflate")
	param := func(bit uint8, key, val string) {
		if o.params&bit == 0 {
			return
		}
		b.WriteString(sp + "; " + key)
		if val != "" {
			b.WriteString(sp + "=" + sp + quote(val))
		}
	}
	param(serverNoContextTakeover, "server_no_context_takeover", "")
	param(clientNoContextTakeover, "client_no_context_takeover", "")
	param(serverMaxWindowBits, "server_max_window_bits", "15")
	param(clientMaxWindowBits, "client_max_window_bits", o.clientBits)
	b.WriteString(sp)
	return b.String()
}

// quoteAll is v as a quoted string with every byte escaped.
func quoteAll(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		b.WriteString(`\` + v[i:i+1])
	}
	b.WriteByte('"')
	return b.String()
}
