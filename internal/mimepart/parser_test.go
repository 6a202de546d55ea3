package mimepart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// part is what a parser produced for one part.
type part struct {
	Header textproto.MIMEHeader
	Data   string
}

// collector is a Handler that records the parts.
type collector struct {
	parts []part
	open  bool
}

func (c *collector) Header(h textproto.MIMEHeader) error {
	if c.open {
		return errors.New("Header inside a part")
	}
	c.parts, c.open = append(c.parts, part{Header: h}), true
	return nil
}

func (c *collector) Data(p []byte) error {
	if !c.open || len(p) == 0 {
		return fmt.Errorf("Data(%q) outside a part or empty", p)
	}
	c.parts[len(c.parts)-1].Data += string(p)
	return nil
}

func (c *collector) End() error {
	if !c.open {
		return errors.New("End outside a part")
	}
	c.open = false
	return nil
}

// push parses body in pieces of random sizes (the whole body at once when
// rng is nil).
func push(boundary, body string, lim Limits, rng *rand.Rand) ([]part, error) {
	c := &collector{}
	p, err := NewParser(boundary, lim, c)
	if err != nil {
		return nil, err
	}
	b := []byte(body)
	for len(b) > 0 {
		n := len(b)
		if rng != nil {
			n = 1 + rng.IntN(min(len(b), 1+rng.IntN(64)))
		}
		if _, err := p.Write(b[:n]); err != nil {
			return c.parts, err
		}
		b = b[n:]
	}
	if err := p.Close(); err != nil {
		return c.parts, err
	}
	if c.open {
		return c.parts, errors.New("body done inside a part")
	}
	return c.parts, nil
}

// reference parses body with mime/multipart, reading through a reader
// that returns pieces of random sizes.
func reference(boundary, body string, rng *rand.Rand) ([]part, error) {
	var src io.Reader = strings.NewReader(body)
	if rng != nil {
		src = &choppy{b: []byte(body), rng: rng}
	}
	mr := multipart.NewReader(src, boundary)
	var parts []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return parts, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return parts, err
		}
		parts = append(parts, part{Header: p.Header, Data: string(data)})
	}
}

// choppy returns its bytes in pieces of random sizes.
type choppy struct {
	b   []byte
	rng *rand.Rand
}

func (c *choppy) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1+c.rng.IntN(64))], c.b)
	c.b = c.b[n:]
	return n, nil
}

// form builds a body of parts with the boundary "xYz", CRLF line breaks.
func form(parts ...string) string {
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString("--xYz\r\n" + p + "\r\n")
	}
	sb.WriteString("--xYz--\r\n")
	return sb.String()
}

var tests = []struct {
	name     string
	boundary string
	body     string
	want     []part // nil with wantErr
	wantErr  error
}{
	{name: "one field", body: form("Content-Disposition: form-data; name=\"a\"\r\n\r\nhello"),
		want: []part{{textproto.MIMEHeader{"Content-Disposition": {`form-data; name="a"`}}, "hello"}}},
	{name: "two parts", body: form("A: 1\r\n\r\nx", "B: 2\r\nB: 3\r\n\r\ny\r\nz"),
		want: []part{{textproto.MIMEHeader{"A": {"1"}}, "x"}, {textproto.MIMEHeader{"B": {"2", "3"}}, "y\r\nz"}}},
	{name: "empty data", body: form("A: 1\r\n\r\n"), want: []part{{textproto.MIMEHeader{"A": {"1"}}, ""}}},
	{name: "no header", body: form("\r\ndata"), want: []part{{textproto.MIMEHeader{}, "data"}}},
	{name: "no parts", body: "--xYz--\r\n", want: nil},
	{name: "final without line break", body: "--xYz\r\nA: 1\r\n\r\nd\r\n--xYz--", want: []part{{textproto.MIMEHeader{"A": {"1"}}, "d"}}},
	{name: "final with blanks", body: "--xYz\r\n\r\nd\r\n--xYz-- \t\r\nepilogue\r\n", want: []part{{textproto.MIMEHeader{}, "d"}}},
	{name: "preamble", body: "ignored\r\n--xYz--\r\nalso\r\n--xYz\r\n\r\nd\r\n--xYz--", want: nil},
	{name: "preamble then part", body: "pre\r\namble\r\n\r\n--xYz\r\n\r\nd\r\n--xYz--", want: []part{{textproto.MIMEHeader{}, "d"}}},
	{name: "delimiter with blanks", body: "--xYz \t\r\n\r\nd\r\n--xYz  \r\n\r\ne\r\n--xYz--", want: []part{{textproto.MIMEHeader{}, "d"}, {textproto.MIMEHeader{}, "e"}}},
	{name: "boundary-like data", body: form("\r\n--xYzz\r\n--xY\r\n-- xYz\n--xYz"),
		want: []part{{textproto.MIMEHeader{}, "--xYzz\r\n--xY\r\n-- xYz\n--xYz"}}},
	{name: "delimiter prefix then dash", body: form("\r\na\r\n--xYz-b"), want: []part{{textproto.MIMEHeader{}, "a\r\n--xYz-b"}}},
	{name: "LF mode", body: "--xYz\nA: 1\n\nd\n--xYz\n\ne\r\n--xYz--\n", want: []part{{textproto.MIMEHeader{"A": {"1"}}, "d"}, {textproto.MIMEHeader{}, "e\r"}}},
	{name: "LF mode CRLF final", body: "--xYz\n\nd\n--xYz--\r\n", wantErr: ErrMalformed},
	{name: "delimiter right after header", body: "--xYz\r\nA: 1\r\n\r\n--xYz--", want: []part{{textproto.MIMEHeader{"A": {"1"}}, ""}}},
	{name: "continuation", body: form("A: x\r\n  y \r\n\tz\r\nB:w \r\n\r\nd"), want: []part{{textproto.MIMEHeader{"A": {"x y z"}, "B": {"w"}}, "d"}}},
	{name: "name with space", body: form("Content Type : v\r\n\r\nd"), want: []part{{textproto.MIMEHeader{"Content Type ": {"v"}}, "d"}}},
	{name: "canonical names", body: form("content-disposition: x\r\n\r\n"), want: []part{{textproto.MIMEHeader{"Content-Disposition": {"x"}}, ""}}},
	{name: "other boundary", boundary: "simple boundary", body: "--simple boundary\r\n\r\nd\r\n--simple boundary--", want: []part{{textproto.MIMEHeader{}, "d"}}},

	{name: "empty body", body: "", wantErr: ErrMalformed},
	{name: "no final delimiter", body: "--xYz\r\n\r\nd\r\n", wantErr: ErrMalformed},
	{name: "truncated in data", body: "--xYz\r\n\r\nd", wantErr: ErrMalformed},
	{name: "truncated in header", body: "--xYz\r\nA: 1\r\n", wantErr: ErrMalformed},
	{name: "truncated at delimiter", body: "--xYz\r\n\r\nd\r\n--xYz", wantErr: ErrMalformed},
	{name: "half final", body: "--xYz\r\n\r\nd\r\n--xYz-", wantErr: ErrMalformed},
	{name: "junk after delimiter", body: "--xYz\r\n\r\nd\r\n--xYz junk\r\n\r\n--xYz--", wantErr: ErrMalformed},
	{name: "junk after final", body: "--xYz\r\n\r\nd\r\n--xYz--junk\r\n", wantErr: ErrMalformed},
	{name: "bare LF delimiter after CRLF part", body: "--xYz\r\n\r\nd\r\n--xYz\n\r\ne\r\n--xYz--", wantErr: ErrMalformed},
	{name: "header without colon", body: form("A\r\n\r\nd"), wantErr: ErrMalformed},
	{name: "header starts with blank", body: form(" A: 1\r\n\r\nd"), wantErr: ErrMalformed},
	{name: "empty header name", body: form(": 1\r\n\r\nd"), wantErr: ErrMalformed},
	{name: "control in value", body: form("A: 1\x01\r\n\r\nd"), wantErr: ErrMalformed},
	{name: "CR in value", body: form("A: 1\r\r\n\r\nd"), wantErr: ErrMalformed},
	{name: "long preamble line", body: strings.Repeat("p", maxLine) + "\r\n--xYz--", wantErr: ErrMalformed},
	{name: "long final line", body: "--xYz--" + strings.Repeat(" ", maxLine), wantErr: ErrMalformed},
	{name: "preamble line just fits", body: strings.Repeat("p", maxLine-1) + "\n--xYz--", want: nil},
	{name: "too many parts", body: form(strings.Repeat("\r\nd\r\n--xYz\r\n", 1000) + "\r\nd"), wantErr: ErrTooManyParts},
	{name: "header too large", body: form("A: " + strings.Repeat("v", DefaultMaxHeaderBytes) + "\r\n\r\nd"), wantErr: ErrHeaderTooLarge},
	{name: "empty boundary", boundary: "-", body: "", wantErr: ErrBoundary},
}

// boundaryOf returns a test's boundary: "xYz" unless it names another one
// ("-" stands for the empty boundary).
func boundaryOf(b string) string {
	switch b {
	case "":
		return "xYz"
	case "-":
		return ""
	}
	return b
}

// TestParse checks each case's parts, fed whole and in random pieces.
func TestParse(t *testing.T) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(tt.body))))
			for i := range 20 {
				var r *rand.Rand
				if i > 0 {
					r = rng
				}
				got, err := push(boundaryOf(tt.boundary), tt.body, Limits{}, r)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("error %v, want %v", err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %q\nwant %q", got, tt.want)
				}
			}
		})
	}
}

// TestDifferential holds every case to mime/multipart's Reader: the same
// verdict and, when both accept, the same parts, with both fed in random
// pieces. Cases that only a stricter limit rejects are skipped.
func TestDifferential(t *testing.T) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			differential(t, boundaryOf(tt.boundary), tt.body, uint64(len(tt.body)))
		})
	}
}

// differential compares the parser and mime/multipart on one body.
func differential(t *testing.T, boundary, body string, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	lim := Limits{MaxParts: -1, MaxHeaderBytes: 16 << 10}
	for range 5 {
		got, err := push(boundary, body, lim, rng)
		if errors.Is(err, ErrBoundary) || errors.Is(err, ErrHeaderTooLarge) {
			return // intentional: stricter than mime/multipart
		}
		want, werr := reference(boundary, body, rng)
		if errors.Is(err, errHeaderEOF) && werr == nil && equalParts(got, want) {
			return // intentional: mime/multipart takes the truncation for the end
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("verdict differs on %q (boundary %q):\nparser: %v\nmime/multipart: %v", body, boundary, err, werr)
		}
		if err == nil && !equalParts(got, want) {
			t.Fatalf("parts differ on %q (boundary %q):\nparser: %q\nmime/multipart: %q", body, boundary, got, want)
		}
	}
}

func equalParts(a, b []part) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Data != b[i].Data || !reflect.DeepEqual(a[i].Header, b[i].Header) {
			return false
		}
	}
	return true
}

// FuzzParse: on any body and boundary, no panic, the same verdict and
// parts as mime/multipart, and the same result whatever the pieces.
func FuzzParse(f *testing.F) {
	for _, tt := range tests {
		f.Add(boundaryOf(tt.boundary), tt.body, uint64(len(tt.body)))
	}
	f.Fuzz(func(t *testing.T, boundary, body string, seed uint64) {
		if !validBoundary(boundary) {
			if _, err := NewParser(boundary, Limits{}, &collector{}); !errors.Is(err, ErrBoundary) {
				t.Fatalf("boundary %q accepted", boundary)
			}
			return
		}
		differential(t, boundary, body, seed)
		whole, err := push(boundary, body, Limits{}, nil)
		pieces, perr := push(boundary, body, Limits{}, rand.New(rand.NewPCG(seed, 3)))
		if (err == nil) != (perr == nil) || err == nil && !equalParts(whole, pieces) {
			t.Fatalf("pieces change the result: %v %q / %v %q", err, whole, perr, pieces)
		}
		if n, pn := took(boundary, body, nil), took(boundary, body, rand.New(rand.NewPCG(seed, 4))); n != pn {
			t.Fatalf("pieces change what Write takes: %d / %d", n, pn)
		}
	})
}

// TestLimitsDefaults: the zero Limits are the documented defaults, and
// negative ones lift them.
func TestLimitsDefaults(t *testing.T) {
	many := form(strings.Repeat("\r\nd\r\n--xYz\r\n", DefaultMaxParts-1) + "\r\nd")
	if _, err := push("xYz", many, Limits{}, nil); err != nil {
		t.Errorf("%d parts: %v", DefaultMaxParts, err)
	}
	if _, err := push("xYz", many, Limits{MaxParts: 10}, nil); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("MaxParts 10: %v", err)
	}
	if _, err := push("xYz", form("\r\nd", "\r\ne"), Limits{MaxParts: -1}, nil); err != nil {
		t.Errorf("no part limit: %v", err)
	}
	sec := "A: " + strings.Repeat("v", DefaultMaxHeaderBytes-7) + "\r\n\r\n" // exactly the limit
	if _, err := push("xYz", form(sec+"d"), Limits{}, nil); err != nil {
		t.Errorf("header at the limit: %v", err)
	}
	if _, err := push("xYz", form("A"+sec+"d"), Limits{}, nil); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("header one over the limit: %v", err)
	}
	if _, err := push("xYz", form("A"+sec+"d"), Limits{MaxHeaderBytes: -1}, nil); err != nil {
		t.Errorf("no header limit: %v", err)
	}
}

// TestHandlerErrorStops: an error from the Handler stops the parser and
// sticks.
func TestHandlerErrorStops(t *testing.T) {
	stop := errors.New("stop")
	p, _ := NewParser("xYz", Limits{}, stopAt{stop})
	if _, err := p.Write([]byte(form("\r\ndata"))); err != stop {
		t.Fatalf("Write = %v", err)
	}
	if _, err := p.Write([]byte("more")); err != stop {
		t.Fatalf("later Write = %v", err)
	}
	if err := p.Close(); err != stop {
		t.Fatalf("Close = %v", err)
	}
}

type stopAt struct{ err error }

func (s stopAt) Header(textproto.MIMEHeader) error { return nil }
func (s stopAt) Data([]byte) error                 { return s.err }
func (s stopAt) End() error                        { return nil }

// TestDataAllocs: passing data through allocates nothing.
func TestDataAllocs(t *testing.T) {
	p, _ := NewParser("xYz", Limits{}, stopAt{})
	p.Write([]byte("--xYz\r\n\r\n"))
	chunk := bytes.Repeat([]byte("0123456789abcde\r"), 1024)
	if n := testing.AllocsPerRun(100, func() { p.Write(chunk) }); n != 0 {
		t.Errorf("%v allocations per Write of data", n)
	}
}

// took returns how many bytes of body Write takes in all, fed whole or in
// random pieces, until an error stops it.
func took(boundary, body string, rng *rand.Rand) int {
	p, err := NewParser(boundary, Limits{}, &collector{})
	if err != nil {
		return 0
	}
	taken, b := 0, []byte(body)
	for len(b) > 0 {
		n := len(b)
		if rng != nil {
			n = 1 + rng.IntN(min(len(b), 1+rng.IntN(64)))
		}
		k, err := p.Write(b[:n])
		taken += k
		if err != nil {
			break
		}
		b = b[n:]
	}
	return taken
}

// TestWriteTakes: Write stopped by an error says how many bytes it took,
// up to the end of what it refused (or the start of a line over a
// limit), whatever the pieces the body came in, so that a caller
// handing the bytes on hands on all that precedes the error.
func TestWriteTakes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		body    string
		lim     Limits
		taken   string // the prefix of body Write takes in all
		wantErr error
	}{
		{"junk after a part", "--xYz\r\n\r\nd\r\n--xYz junk\r\nmore", Limits{}, "--xYz\r\n\r\nd\r\n--xYz junk\r\n", ErrMalformed},
		{"one part too many", "--xYz\r\n\r\nd\r\n--xYz\r\nA: 1\r\n\r\n", Limits{MaxParts: 1}, "--xYz\r\n\r\nd\r\n--xYz\r\n", ErrTooManyParts},
		{"one part too many, LF", "--xYz\n\nd\n--xYz\nA: 1\n\n", Limits{MaxParts: 1}, "--xYz\n\nd\n--xYz\n", ErrTooManyParts},
		{"header over the limit", "--xYz\r\nA: 1\r\nB: 0123456789\r\n\r\n", Limits{MaxHeaderBytes: 10}, "--xYz\r\nA: 1\r\nB: 0", ErrHeaderTooLarge},
		{"blank line over the limit", "--xYz\r\nA: 12345\r\n\r\n", Limits{MaxHeaderBytes: 10}, "--xYz\r\nA: 12345\r\n", ErrHeaderTooLarge},
		{"malformed header", "--xYz\r\nA\r\n\r\ndata", Limits{}, "--xYz\r\nA\r\n\r\n", ErrMalformed},
		{"long preamble line", strings.Repeat("p", maxLine+10) + "\n--xYz--", Limits{}, strings.Repeat("p", maxLine-1), ErrMalformed},
		{"long delimiter line", "--xYz\r\n\r\nd\r\n--xYz" + strings.Repeat(" ", maxLine), Limits{}, "--xYz\r\n\r\nd\r\n--xYz" + strings.Repeat(" ", maxLine-6), ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(len(tt.body))))
			for i := range 50 {
				p, _ := NewParser("xYz", tt.lim, &collector{})
				taken, b := 0, []byte(tt.body)
				var err error
				for len(b) > 0 && err == nil {
					n := len(b)
					if i > 0 {
						n = 1 + rng.IntN(min(len(b), 12))
					}
					var k int
					k, err = p.Write(b[:n])
					taken += k
					b = b[n:]
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if want := len(tt.taken); taken != want {
					t.Fatalf("took %d bytes (%q), want %d (%q)", taken, tt.body[:taken], want, tt.taken)
				}
			}
		})
	}
}
