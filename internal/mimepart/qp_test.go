package mimepart

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// qpTests are parts' quoted-printable data and what they decode to; err
// marks data mime/quotedprintable's Reader refuses.
var qpTests = []struct {
	name string
	in   string
	want string
	err  bool
}{
	{name: "empty"},
	{name: "plain", in: "hello, world", want: "hello, world"},
	{name: "escape", in: "a=3Db", want: "a=b"},
	{name: "lower-case hex", in: "caf=c3=a9", want: "café"},
	{name: "upper-case hex", in: "caf=C3=A9", want: "café"},
	{name: "soft line break", in: "abc=\r\ndef", want: "abcdef"},
	{name: "soft line break, LF", in: "abc=\ndef", want: "abcdef"},
	{name: "soft line break, blanks after", in: "abc= \t\r\ndef", want: "abcdef"},
	{name: "hard line breaks", in: "a\r\nb\nc\r\n", want: "a\r\nb\nc\r\n"},
	{name: "trailing blanks dropped", in: "a  \r\nb\t\r\nc ", want: "a\r\nb\r\nc"},
	{name: "soft break at the end", in: "abc=", want: "abc"},
	{name: "escaped CRLF", in: "a=0D=0Ab", want: "a\r\nb"},
	{name: "'=' without hex, taken as it is", in: "a=XYb", want: "a=XYb"},
	{name: "8-bit bytes pass", in: "\xff\x80", want: "\xff\x80"},
	{name: "line of 4,096 bytes, CRLF included", in: strings.Repeat("a", 4094) + "\r\nb", want: strings.Repeat("a", 4094) + "\r\nb"},
	{name: "last line of 4,095 bytes", in: "b\n" + strings.Repeat("a", 4095), want: "b\n" + strings.Repeat("a", 4095)},
	{name: "line of 4,097 bytes, CRLF included", in: strings.Repeat("a", 4095) + "\r\nb", err: true},
	{name: "line of 4,097 bytes, LF included", in: strings.Repeat("a", 4096) + "\nb", err: true},
	{name: "last line of 4,096 bytes", in: strings.Repeat("a", 4096), err: true},
	{name: "control byte", in: "a\x01b", err: true},
	{name: "DEL", in: "a\x7fb", err: true},
	{name: "'==' at a line's end", in: "a==\r\nb", err: true},
	{name: "'=' alone at the end", in: "a\r\n=", err: true},
	{name: "'=' then CR at the end", in: "a=\r", err: true},
	{name: "bad line after good ones", in: "ok=3D\r\nok\r\nno\x00\r\n", err: true},
}

// decodeWhole decodes in with mime/quotedprintable's Reader, as
// mime/multipart's NextPart does.
func decodeWhole(in string) (string, error) {
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(in)))
	return string(b), err
}

// decodePieces decodes in with a QPDecoder, fed in the given pieces.
func decodePieces(d *QPDecoder, pieces ...string) (string, error) {
	d.Reset()
	var out []byte
	for _, p := range pieces {
		b, err := d.Decode([]byte(p))
		out = append(out, b...)
		if err != nil {
			return string(out), err
		}
	}
	b, err := d.Close()
	return string(append(out, b...)), err
}

// TestQPDecoder: each case decodes as the table says and as
// mime/quotedprintable's Reader decodes it, fed whole, a byte at a time,
// or cut in two at every byte (so across every escape and line break).
func TestQPDecoder(t *testing.T) {
	var d QPDecoder // one decoder throughout: Reset readies it
	for _, tt := range qpTests {
		t.Run(tt.name, func(t *testing.T) {
			ref, rerr := decodeWhole(tt.in)
			if (rerr != nil) != tt.err || !tt.err && ref != tt.want {
				t.Fatalf("the table disagrees with mime/quotedprintable: %.60q, %v", ref, rerr)
			}
			check := func(how string, pieces ...string) {
				t.Helper()
				got, err := decodePieces(&d, pieces...)
				switch {
				case tt.err && !errors.Is(err, ErrQuotedPrintable):
					t.Fatalf("%s: %.60q, %v; want an error wrapping ErrQuotedPrintable", how, got, err)
				case !tt.err && (err != nil || got != tt.want):
					t.Fatalf("%s: %.60q, %v; want %.60q", how, got, err, tt.want)
				}
			}
			check("whole", tt.in)
			check("bytes", strings.Split(tt.in, "")...)
			for i := range len(tt.in) + 1 {
				check("cut at "+string(rune('0'+i%10)), tt.in[:i], tt.in[i:])
			}
		})
	}
}

// TestQPDecoderErrorPrefix: Decode stopped by an error returns what the
// lines before the fault decoded to, as the Reader does, so that a limit
// those bytes meet is met before the fault is reported.
func TestQPDecoderErrorPrefix(t *testing.T) {
	var d QPDecoder
	got, err := d.Decode([]byte("ab=3D\r\ncd\x00\r\n"))
	if !errors.Is(err, ErrQuotedPrintable) || !strings.HasPrefix(string(got), "ab=\r\n") {
		t.Fatalf("Decode = %q, %v", got, err)
	}
}

// FuzzQPDecode: on any data, fed in pieces of random sizes, a QPDecoder
// gives mime/quotedprintable's Reader's verdict and bytes.
func FuzzQPDecode(f *testing.F) {
	for _, tt := range qpTests {
		f.Add(tt.in, uint64(len(tt.in)))
	}
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		want, werr := decodeWhole(in)
		rng := rand.New(rand.NewPCG(seed, 5))
		var pieces []string
		for rest := in; len(rest) > 0; {
			n := 1 + rng.IntN(min(len(rest), 1+rng.IntN(64)))
			pieces, rest = append(pieces, rest[:n]), rest[n:]
		}
		var d QPDecoder
		got, err := decodePieces(&d, pieces...)
		if (err != nil) != (werr != nil) || err == nil && got != want {
			t.Fatalf("decoded %q, %v; mime/quotedprintable: %q, %v", got, err, want, werr)
		}
		if err != nil && !errors.Is(err, ErrQuotedPrintable) {
			t.Fatalf("error %v does not wrap ErrQuotedPrintable", err)
		}
	})
}

// TestQPDecoderAllocs: once its buffers are grown, decoding allocates
// nothing, however many pieces the data comes in.
func TestQPDecoderAllocs(t *testing.T) {
	var d QPDecoder
	chunk := bytes.Repeat([]byte("caf=C3=A9 =3D 0123456789=\r\n"), 512)
	d.Decode(chunk)
	if n := testing.AllocsPerRun(100, func() {
		d.Decode(chunk[:100])
		d.Decode(chunk[100:])
	}); n != 0 {
		t.Errorf("%v allocations per Decode", n)
	}
}
