package h1

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// chunkCase is one row of the chunked table. data is what must be
// delivered (before the error, for error rows); n is the bytes consumed
// when done (0 means len(in)), or -1 when the body must stay unfinished.
type chunkCase struct {
	name       string
	in         string
	maxTrailer int
	data       string
	trailers   []string // name, value pairs
	n          int
	status     int
	err        error
}

// chunkedCases is shared by the table test and the fuzzer's seed corpus.
var chunkedCases = []chunkCase{
	{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", data: "hello"},
	{name: "empty body", in: "0\r\n\r\n", data: ""},
	{name: "several chunks, hex case", in: "a\r\n0123456789\r\nA\r\nabcdefghij\r\n1\r\n!\r\n0\r\n\r\n", data: "0123456789abcdefghij!"},
	{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", data: "hello"},
	{name: "sixteen digits", in: "0000000000000003\r\nabc\r\n0\r\n\r\n", data: "abc"},
	{name: "data with CRLF inside", in: "4\r\n\r\n\r\n\r\n0\r\n\r\n", data: "\r\n\r\n"},
	{name: "extensions", in: "5;foo=bar\r\nhello\r\n6 ; a ; b = \"q\\\"x;y\" ;c=d\r\n world\r\n0;last\r\n\r\n", data: "hello world"},
	{name: "extension with tab BWS", in: "1\t;\tname\t=\ttok\r\nx\r\n0\r\n\r\n", data: "x"},
	{name: "quoted ext with obs-text", in: "1;a=\"\xe9 \\\xe9\"\r\nx\r\n0\r\n\r\n", data: "x"},
	{name: "trailers", in: "3\r\nabc\r\n0\r\nX-Sum: 1234 \r\nx-other:\tv w\r\nEmpty:\r\n\r\n", data: "abc",
		trailers: []string{"X-Sum", "1234", "x-other", "v w", "Empty", ""}},
	{name: "bytes after body untouched", in: "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", data: "x", n: 11},
	{name: "trailers at limit", in: "0\r\nA: b\r\n\r\n", maxTrailer: 8, data: "", trailers: []string{"A", "b"}},

	// Unfinished bodies.
	{name: "partial data", in: "5\r\nhel", data: "hel", n: -1},
	{name: "partial size line", in: "5\r\nhello\r\n1", data: "hello", n: -1},
	{name: "partial trailer", in: "0\r\nX: y\r\n", data: "", n: -1},
	{name: "partial last CRLF", in: "0\r\n\r", data: "", n: -1},
	{name: "large size waiting for data", in: "7fffffffffffffff\r\nabc", data: "abc", n: -1},

	// Bad sizes.
	{name: "empty size", in: "\r\nhello\r\n", status: 400, err: ErrBadChunk},
	{name: "non-hex size", in: "g\r\n", status: 400, err: ErrBadChunk},
	{name: "negative size", in: "-5\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "plus size", in: "+5\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "0x prefix", in: "0x5\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "space before size", in: " 5\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "space after size", in: "5 \r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "seventeen digits", in: "00000000000000005\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "over int64", in: "8000000000000000\r\n", status: 400, err: ErrBadChunk},
	{name: "over uint64", in: "ffffffffffffffff0\r\n", status: 400, err: ErrBadChunk},
	{name: "bare LF after size", in: "5\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "size line too long", in: "5;a=" + strings.Repeat("b", maxChunkLine) + "\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "size line too long incomplete", in: "5;a=" + strings.Repeat("b", maxChunkLine), status: 400, err: ErrBadChunk},

	// Framing overhead: long extensions are fine on chunks as long, and
	// short ones on the smallest chunks, but not long ones on tiny chunks.
	{name: "long extensions on long chunks", in: strings.Repeat("fa0;a="+strings.Repeat("b", 4000)+"\r\n"+strings.Repeat("x", 0xfa0)+"\r\n", 6) + "0\r\n\r\n", data: strings.Repeat("x", 6*0xfa0)},
	{name: "one-byte chunks with short extensions", in: strings.Repeat("1;name=value\r\nx\r\n", 2000) + "0\r\n\r\n", data: strings.Repeat("x", 2000)},
	{name: "one-byte chunks with long extensions", in: strings.Repeat("1;a="+strings.Repeat("b", 4000)+"\r\nx\r\n", 5) + "0\r\n\r\n", data: "xxxx", status: 400, err: ErrBadChunk},

	// Bad extensions.
	{name: "empty ext", in: "5;\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext without name", in: "5;=x\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext empty value", in: "5;a=\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext trailing space", in: "5;a \r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext unterminated quote", in: "5;a=\"x\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext CTL in quote", in: "5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext bare LF in quote", in: "5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext junk after quote", in: "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},
	{name: "ext non-token name", in: "5;a(b)\r\nhello\r\n0\r\n\r\n", status: 400, err: ErrBadChunk},

	// Bad data terminators.
	{name: "data too long", in: "5\r\nhelloX\r\n0\r\n\r\n", data: "hello", status: 400, err: ErrBadChunk},
	{name: "data then bare LF", in: "5\r\nhello\n0\r\n\r\n", data: "hello", status: 400, err: ErrBadChunk},
	{name: "data then CR junk", in: "5\r\nhello\rX0\r\n\r\n", data: "hello", status: 400, err: ErrBadChunk},
	{name: "data too short", in: "5\r\nhell\r\n0\r\n\r\n", data: "hell\r", status: 400, err: ErrBadChunk},
	{name: "second chunk bad", in: "1\r\na\r\nz\r\nb\r\n0\r\n\r\n", data: "a", status: 400, err: ErrBadChunk},

	// Bad trailers.
	{name: "trailer obs-fold", in: "0\r\nA: b\r\n c\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "trailer no colon", in: "0\r\nfoo\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "trailer space before colon", in: "0\r\nA : b\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "trailer NUL", in: "0\r\nA: b\x00\r\n\r\n", status: 400, err: ErrBadRequest},
	{name: "trailer bare LF", in: "0\r\nA: b\n\r\n", status: 400, err: ErrBadChunk},
	{name: "trailer end bare LF", in: "0\r\nA: b\r\n\n", status: 400, err: ErrBadChunk},
	{name: "trailers too large", in: "0\r\nA: b\r\n\r\n", maxTrailer: 7, status: 431, err: ErrHeaderTooLarge},
	{name: "trailers too large incomplete", in: "0\r\nA: " + strings.Repeat("b", 40), maxTrailer: 32, status: 431, err: ErrHeaderTooLarge},
	{name: "too many trailers", in: "0\r\n" + strings.Repeat("A: b\r\n", DefaultMaxHeaders+1) + "\r\n", status: 431, err: ErrTooManyHeaders},
}

type decodeResult struct {
	data     []byte
	consumed int
	done     bool
	err      error
	trailers []string
}

// runDecoder drives a decoder the way a connector does: bytes arrive
// step at a time (all at once if step <= 0), the unconsumed rest is kept
// and offered again first, and Decode is called until it makes no
// progress. It also checks the per-call contract.
func runDecoder(t testing.TB, in []byte, maxTrailer, step int) decodeResult {
	d := ChunkedDecoder{MaxTrailerBytes: maxTrailer}
	var res decodeResult
	start, end := 0, 0
	for {
		if step <= 0 {
			end = len(in)
		} else {
			end = min(end+step, len(in))
		}
		for {
			src := in[start:end:end]
			data, n, done, err := d.Decode(src)
			if n < 0 || n > len(src) {
				t.Fatalf("consumed %d of %d", n, len(src))
			}
			if !sameMemory(data, src[:n]) {
				t.Fatalf("data %q is not inside the consumed input", data)
			}
			res.data = append(res.data, data...)
			start += n
			if err != nil {
				if data != nil || done {
					t.Fatalf("error %v with data %q done %v", err, data, done)
				}
				if _, _, _, err2 := d.Decode(in[start:end]); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				res.err, res.consumed = err, start
				return res
			}
			if done {
				res.done, res.consumed = true, start
				for _, f := range d.Trailers {
					res.trailers = append(res.trailers, string(f.Name), string(f.Value))
				}
				if data2, n2, done2, err2 := d.Decode(in[start:end]); data2 != nil || n2 != 0 || !done2 || err2 != nil {
					t.Fatalf("Decode after done: %q %d %v %v", data2, n2, done2, err2)
				}
				return res
			}
			if n == 0 {
				break
			}
		}
		if end == len(in) {
			res.consumed = start
			return res
		}
	}
}

// runReader drives Read as the connector does: bytes arrive step at a
// time into a buffer of its own (all at once if step <= 0), the
// unconsumed rest is offered again first, and the body is read into a p of
// size psize. It returns what runDecoder does, but for the bytes consumed
// (Read leaves undelivered data unconsumed).
func runReader(t testing.TB, in []byte, maxTrailer, step, psize int) decodeResult {
	d := ChunkedDecoder{MaxTrailerBytes: maxTrailer}
	var res decodeResult
	buf := make([]byte, 0, len(in))
	r := 0
	p := make([]byte, psize)
	for len(buf) < len(in) || step <= 0 {
		if step <= 0 {
			buf, step = append(buf, in...), len(in)+1
		} else {
			buf = append(buf, in[len(buf):min(len(buf)+step, len(in))]...)
		}
		for {
			n, consumed, done, err := d.Read(p, buf[r:])
			if n > len(p) || consumed > len(buf)-r {
				t.Fatalf("Read returned %d into %d bytes, consumed %d of %d", n, len(p), consumed, len(buf)-r)
			}
			res.data = append(res.data, p[:n]...)
			r += consumed
			if err != nil {
				res.err = err
				return res
			}
			if done {
				res.done = true
				for _, f := range d.Trailers {
					res.trailers = append(res.trailers, string(f.Name), string(f.Value))
				}
				return res
			}
			if n == 0 && consumed == 0 {
				break
			}
		}
	}
	return res
}

// sameOutcome reports whether runReader's result says what runDecoder's
// does.
func sameOutcome(a, b decodeResult) bool {
	return bytes.Equal(a.data, b.data) && a.done == b.done && a.err == b.err &&
		strings.Join(a.trailers, "\n") == strings.Join(b.trailers, "\n")
}

// TestChunkedDecoderRead reads every case into buffers smaller than its
// chunks, so that decoded bytes wait in the caller's buffer while the
// framing after them is already consumed.
func TestChunkedDecoderRead(t *testing.T) {
	for _, tc := range chunkedCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			want := runDecoder(t, in, tc.maxTrailer, 0)
			for _, step := range []int{0, 1, 5} {
				for _, psize := range []int{1, 2, 3, 512} {
					if got := runReader(t, in, tc.maxTrailer, step, psize); !sameOutcome(got, want) {
						t.Errorf("step %d, p of %d: %q done=%v err=%v; Decode says %q done=%v err=%v",
							step, psize, got.data, got.done, got.err, want.data, want.done, want.err)
					}
				}
			}
		})
	}
	// The case the connector met: a chunk larger than the reader's p,
	// followed in the same buffer by the next chunk's framing.
	body := strings.Repeat("0123456789", 60)
	in := []byte("258\r\n" + body + "\r\n3\r\nxyz\r\n0\r\n\r\n")
	if got := runReader(t, in, 0, 0, 512); string(got.data) != body+"xyz" || !got.done || got.err != nil {
		t.Errorf("Read into 512 bytes = %q done=%v err=%v", got.data, got.done, got.err)
	}
}

func TestChunkedDecoder(t *testing.T) {
	for _, tc := range chunkedCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for _, step := range []int{0, 1, 2, 3, 7} {
				res := runDecoder(t, in, tc.maxTrailer, step)
				if string(res.data) != tc.data {
					t.Errorf("step %d: data = %q, want %q", step, res.data, tc.data)
				}
				if tc.err != nil {
					if res.err == nil {
						t.Fatalf("step %d: no error, want %v", step, tc.err)
					}
					checkStatus(t, res.err, tc.status, tc.err)
					continue
				}
				if res.err != nil {
					t.Fatalf("step %d: unexpected error %v", step, res.err)
				}
				if tc.n == -1 {
					if res.done {
						t.Errorf("step %d: done, want unfinished", step)
					}
					continue
				}
				wn := tc.n
				if wn == 0 {
					wn = len(in)
				}
				if !res.done || res.consumed != wn {
					t.Errorf("step %d: done=%v consumed=%d, want done consumed=%d", step, res.done, res.consumed, wn)
				}
				if strings.Join(res.trailers, "|") != strings.Join(tc.trailers, "|") || len(res.trailers) != len(tc.trailers) {
					t.Errorf("step %d: trailers = %q, want %q", step, res.trailers, tc.trailers)
				}
			}
		})
	}
}

// TestChunkedDecoderOneCall checks that a body entirely in the buffer
// finishes in a single call, so connectors need no extra round trip.
func TestChunkedDecoderOneCall(t *testing.T) {
	var d ChunkedDecoder
	in := []byte("5\r\nhello\r\n0\r\nA: b\r\n\r\nnext")
	data, n, done, err := d.Decode(in)
	if string(data) != "hello" || n != len(in)-4 || !done || err != nil {
		t.Fatalf("Decode = %q, %d, %v, %v", data, n, done, err)
	}
}

// TestChunkedDecoderPartialData checks data is handed out as soon as it
// arrives rather than held back until the chunk is complete.
func TestChunkedDecoderPartialData(t *testing.T) {
	var d ChunkedDecoder
	data, n, done, err := d.Decode([]byte("a\r\nhel"))
	if string(data) != "hel" || n != 6 || done || err != nil {
		t.Fatalf("Decode = %q, %d, %v, %v", data, n, done, err)
	}
	data, n, done, err = d.Decode([]byte("lo"))
	if string(data) != "lo" || n != 2 || done || err != nil {
		t.Fatalf("Decode = %q, %d, %v, %v", data, n, done, err)
	}
	// Mid-line: nothing of the partial line is consumed.
	data, n, done, err = d.Decode([]byte("world\r\n0\r\nX: "))
	if string(data) != "world" || n != 10 || done || err != nil {
		t.Fatalf("Decode = %q, %d, %v, %v", data, n, done, err)
	}
}

// MaxTrailers bounds the trailer fields as MaxHeaders bounds a head's,
// zero meaning DefaultMaxHeaders.
func TestChunkedDecoderMaxTrailers(t *testing.T) {
	body := func(n int) []byte {
		return []byte("0\r\n" + strings.Repeat("A: 1\r\n", n) + "\r\n")
	}
	for _, tt := range []struct {
		max, fields int
		ok          bool
	}{
		{0, DefaultMaxHeaders, true},
		{0, DefaultMaxHeaders + 1, false},
		{3, 3, true},
		{3, 4, false},
		{1, 0, true},
	} {
		d := ChunkedDecoder{MaxTrailers: tt.max, MaxTrailerBytes: 1 << 20}
		_, _, done, err := d.Decode(body(tt.fields))
		if tt.ok != (err == nil && done) {
			t.Errorf("max %d, %d fields: done=%v err=%v", tt.max, tt.fields, done, err)
		}
		if !tt.ok && (!errors.Is(err, ErrTooManyHeaders) || err.(*Error).Status != 431) {
			t.Errorf("max %d, %d fields: err %v, want a 431 ErrTooManyHeaders", tt.max, tt.fields, err)
		}
	}
}

func TestChunkedDecoderReset(t *testing.T) {
	d := ChunkedDecoder{MaxTrailerBytes: 100, MaxTrailers: 7}
	if _, _, _, err := d.Decode([]byte("zz\r\n")); err == nil {
		t.Fatal("want error")
	}
	d.Reset()
	if d.MaxTrailerBytes != 100 {
		t.Error("Reset lost MaxTrailerBytes")
	}
	if d.MaxTrailers != 7 {
		t.Error("Reset lost MaxTrailers")
	}
	_, _, done, err := d.Decode([]byte("0\r\nA: 1\r\n\r\n"))
	if !done || err != nil || len(d.Trailers) != 1 {
		t.Fatalf("after Reset: done=%v err=%v trailers=%d", done, err, len(d.Trailers))
	}
	d.Reset()
	_, _, done, err = d.Decode([]byte("0\r\nB: 2\r\n\r\n"))
	if !done || err != nil || len(d.Trailers) != 1 || string(d.Trailers[0].Name) != "B" || string(d.Trailers[0].Value) != "2" {
		t.Fatalf("second body: done=%v err=%v trailers=%q", done, err, d.Trailers)
	}
}

// TestChunkedTrailersOwned checks trailers survive the caller reusing its
// buffer, which it does as soon as Decode returns.
func TestChunkedTrailersOwned(t *testing.T) {
	var d ChunkedDecoder
	buf := []byte("0\r\nX-A: one\r\nX-B: two\r\n\r\n")
	if _, _, done, err := d.Decode(buf); !done || err != nil {
		t.Fatal(done, err)
	}
	for i := range buf {
		buf[i] = '#'
	}
	if len(d.Trailers) != 2 || string(d.Trailers[0].Value) != "one" || string(d.Trailers[1].Name) != "X-B" {
		t.Fatalf("trailers = %q", d.Trailers)
	}
}

func TestChunkedDecoderAllocs(t *testing.T) {
	in := []byte("1000\r\n" + strings.Repeat("x", 4096) + "\r\n5;ext=1\r\nhello\r\n0\r\n\r\n")
	var d ChunkedDecoder
	allocs := testing.AllocsPerRun(1000, func() {
		d.Reset()
		for off := 0; ; {
			_, n, done, err := d.Decode(in[off:])
			if err != nil {
				t.Fatal(err)
			}
			off += n
			if done {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %v times per body, want 0", allocs)
	}
}

func BenchmarkChunkedDecoder(b *testing.B) {
	var body []byte
	for i := 0; i < 16; i++ {
		body = AppendChunkHeader(body, 1024)
		body = append(body, bytes.Repeat([]byte{'x'}, 1024)...)
		body = AppendChunkEnd(body)
	}
	body = AppendLastChunk(body, nil)
	var d ChunkedDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		d.Reset()
		for off := 0; ; {
			_, n, done, err := d.Decode(body[off:])
			if err != nil {
				b.Fatal(err)
			}
			off += n
			if done {
				break
			}
		}
	}
}

func FuzzChunkedDecoder(f *testing.F) {
	for _, tc := range chunkedCases {
		if len(tc.in) < 2048 {
			f.Add([]byte(tc.in), uint8(tc.maxTrailer), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, maxTrailer uint8, step uint8) {
		whole := runDecoder(t, in, int(maxTrailer), 0)
		if whole.consumed > len(in) {
			t.Fatalf("consumed %d of %d", whole.consumed, len(in))
		}
		if whole.done && !bytes.HasSuffix(in[:whole.consumed], []byte("\r\n")) {
			t.Fatalf("done without a final CRLF")
		}
		// How the input is split must not change the outcome.
		for _, s := range []int{1, int(step%16) + 2} {
			split := runDecoder(t, in, int(maxTrailer), s)
			if !bytes.Equal(split.data, whole.data) || split.done != whole.done || split.err != whole.err ||
				split.consumed != whole.consumed || strings.Join(split.trailers, "\n") != strings.Join(whole.trailers, "\n") {
				t.Fatalf("step %d differs from whole input:\nsplit: %q done=%v err=%v n=%d tr=%q\nwhole: %q done=%v err=%v n=%d tr=%q",
					s, split.data, split.done, split.err, split.consumed, split.trailers,
					whole.data, whole.done, whole.err, whole.consumed, whole.trailers)
			}
		}
		// Reading it into a small p must not change it either.
		if got := runReader(t, in, int(maxTrailer), int(step%16), int(step%7)+1); !sameOutcome(got, whole) {
			t.Fatalf("Read differs from Decode: %q done=%v err=%v, want %q done=%v err=%v",
				got.data, got.done, got.err, whole.data, whole.done, whole.err)
		}
		if whole.err != nil {
			var pe *Error
			if !errors.As(whole.err, &pe) || (pe.Status != 400 && pe.Status != 431) {
				t.Fatalf("error %v is not a 400/431 *Error", whole.err)
			}
		}
		// A decoded body re-encodes to something that decodes the same.
		if whole.done {
			var enc []byte
			if len(whole.data) > 0 {
				enc = AppendChunkHeader(enc, len(whole.data))
				enc = append(enc, whole.data...)
				enc = AppendChunkEnd(enc)
			}
			enc = append(enc, '0', '\r', '\n')
			for i := 0; i < len(whole.trailers); i += 2 {
				enc = AppendField(enc, whole.trailers[i], whole.trailers[i+1])
			}
			enc = append(enc, '\r', '\n')
			again := runDecoder(t, enc, 0, 0)
			if !again.done || again.err != nil || !bytes.Equal(again.data, whole.data) ||
				strings.Join(again.trailers, "\n") != strings.Join(whole.trailers, "\n") {
				t.Fatalf("re-encoded body decodes differently: %q %v %v", again.data, again.done, again.err)
			}
		}
	})
}
