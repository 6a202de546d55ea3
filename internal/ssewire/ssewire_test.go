package ssewire

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var encodeTests = []struct {
	name string
	ev   Event
	want string
	err  error
}{
	{"data only", Event{Data: "hello"}, "data: hello\n\n", nil},
	{"empty data", Event{}, "data: \n\n", nil},
	{"all fields", Event{ID: "7", Type: "tick", Data: "x", Retry: 1500 * time.Millisecond}, "id: 7\nevent: tick\nretry: 1500\ndata: x\n\n", nil},
	{"LF", Event{Data: "a\nb"}, "data: a\ndata: b\n\n", nil},
	{"CR", Event{Data: "a\rb"}, "data: a\ndata: b\n\n", nil},
	{"CRLF", Event{Data: "a\r\nb"}, "data: a\ndata: b\n\n", nil},
	{"LFCR is two", Event{Data: "a\n\rb"}, "data: a\ndata: \ndata: b\n\n", nil},
	{"trailing newline", Event{Data: "a\n"}, "data: a\ndata: \n\n", nil},
	{"leading space kept", Event{Data: " a"}, "data:  a\n\n", nil},
	{"colons and NUL", Event{Data: "k: v\x00"}, "data: k: v\x00\n\n", nil},
	{"retry under 1ms", Event{Data: "x", Retry: time.Microsecond}, "data: x\n\n", nil},
	{"id with LF", Event{ID: "1\n2"}, "", ErrInvalidID},
	{"id with CR", Event{ID: "1\r"}, "", ErrInvalidID},
	{"id with NUL", Event{ID: "1\x00"}, "", ErrInvalidID},
	{"type with LF", Event{Type: "a\nb"}, "", ErrInvalidType},
	{"data not UTF-8", Event{Data: "\xff"}, "", ErrInvalidData},
	{"negative retry", Event{Retry: -time.Second}, "", ErrInvalidRetry},
}

func TestAppend(t *testing.T) {
	for _, tt := range encodeTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Append([]byte("prefix"), tt.ev)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				if string(got) != "prefix" {
					t.Fatalf("failed Append changed dst: %q", got)
				}
				return
			}
			if string(got) != "prefix"+tt.want {
				t.Fatalf("got %q, want %q", got, "prefix"+tt.want)
			}
			evs := decodeAll(t, got[len("prefix"):])
			if len(evs) != 1 || evs[0] != Normalize(tt.ev) {
				t.Fatalf("decoded %+v, want %+v", evs, Normalize(tt.ev))
			}
		})
	}
}

func TestAppendComment(t *testing.T) {
	got, err := AppendComment(nil, "")
	if err != nil || string(got) != ":\n\n" {
		t.Fatalf("%q %v", got, err)
	}
	got, err = AppendComment(nil, " ok")
	if err != nil || string(got) != ": ok\n\n" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := AppendComment(nil, "a\nb"); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("comment with LF: %v", err)
	}
}

var decodeTests = []struct {
	name     string
	in       string
	want     []Event
	comments int
}{
	{"one", "data: x\n\n", []Event{{Data: "x"}}, 0},
	{"no space", "data:x\n\n", []Event{{Data: "x"}}, 0},
	{"one space dropped", "data:  x\n\n", []Event{{Data: " x"}}, 0},
	{"CR lines", "data: a\rdata: b\r\r", []Event{{Data: "a\nb"}}, 0},
	{"CRLF lines", "data: a\r\ndata: b\r\n\r\n", []Event{{Data: "a\nb"}}, 0},
	{"no data, no event", "id: 3\nevent: x\n\n", nil, 0},
	{"id carries over", "id: 3\ndata: a\n\ndata: b\n\n", []Event{{ID: "3", Data: "a"}, {ID: "3", Data: "b"}}, 0},
	{"empty id resets", "id: 3\ndata: a\n\nid\ndata: b\n\n", []Event{{ID: "3", Data: "a"}, {Data: "b"}}, 0},
	{"id with NUL ignored", "id: 3\ndata: a\n\nid: 4\x00\ndata: b\n\n", []Event{{ID: "3", Data: "a"}, {ID: "3", Data: "b"}}, 0},
	{"type resets", "event: t\ndata: a\n\ndata: b\n\n", []Event{{Type: "t", Data: "a"}, {Data: "b"}}, 0},
	{"comments", ":\n\n: hi\ndata: a\n\n", []Event{{Data: "a"}}, 2},
	{"bad retry ignored", "retry: 1x\ndata: a\n\n", []Event{{Data: "a"}}, 0},
	{"retry", "retry: 20\ndata: a\n\n", []Event{{Data: "a", Retry: 20 * time.Millisecond}}, 0},
	{"unknown field", "foo: bar\ndata: a\n\n", []Event{{Data: "a"}}, 0},
	{"field without colon", "data\ndata\n\n", []Event{{Data: "\n"}}, 0},
	{"BOM", "\uFEFFdata: a\n\n", []Event{{Data: "a"}}, 0},
	{"second BOM kept", "data: a\n\n\uFEFFdata: b\n\n", []Event{{Data: "a"}}, 0},
	{"unfinished dropped", "data: a\n\ndata: b\n", []Event{{Data: "a"}}, 0},
	{"invalid UTF-8", "data: \xffa\n\n", []Event{{Data: "\uFFFDa"}}, 0},
	// The Encoding Standard's decoder, which EventSource uses, makes one
	// U+FFFD of each maximal subpart: a lead byte and the continuation
	// bytes that could still complete it, not one per byte.
	{"cut 3-byte character", "data: \xe2\x82x\n\n", []Event{{Data: "\uFFFDx"}}, 0},
	{"cut 4-byte character", "data: \xf0\x9f\x98\n\n", []Event{{Data: "\uFFFD"}}, 0},
	{"cut character then whole", "data: \xf0\x9f\x98\xf0\x9f\x98\x80\n\n", []Event{{Data: "\uFFFD\U0001F600"}}, 0},
	{"cut character in id and type", "id: \xe2\x82\nevent: \xf4\x8f\xbf\ndata\n\n", []Event{{ID: "\uFFFD", Type: "\uFFFD"}}, 0},
	{"surrogate is three", "data: \xed\xa0\x80\n\n", []Event{{Data: "\uFFFD\uFFFD\uFFFD"}}, 0},
	{"overlong is two", "data: \xe0\x80\n\n", []Event{{Data: "\uFFFD\uFFFD"}}, 0},
	{"past U+10FFFF is four", "data: \xf4\x90\x80\x80\n\n", []Event{{Data: "\uFFFD\uFFFD\uFFFD\uFFFD"}}, 0},
	{"stray bytes are one each", "data: \x80\xbf\xc0\xc1\xf5\xff\n\n", []Event{{Data: "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"}}, 0},
	{"U+FFFD itself", "data: \uFFFD\xc3\n\n", []Event{{Data: "\uFFFD\uFFFD"}}, 0},
}

func TestDecoder(t *testing.T) {
	for _, tt := range decodeTests {
		t.Run(tt.name, func(t *testing.T) {
			for _, split := range []int{0, 1, 2, 3} { // whole, then pieces of n bytes
				var d Decoder
				var got []Event
				emit := func(ev Event) { got = append(got, ev) }
				in := []byte(tt.in)
				for len(in) > 0 {
					n := len(in)
					if split > 0 {
						n = min(split, n)
					}
					if err := d.Feed(in[:n], emit); err != nil {
						t.Fatal(err)
					}
					in = in[n:]
				}
				if !reflect.DeepEqual(got, tt.want) || d.Comments != tt.comments {
					t.Fatalf("split %d: got %+v (%d comments), want %+v (%d)", split, got, d.Comments, tt.want, tt.comments)
				}
			}
		})
	}
}

// A CR at the end of one Feed and an LF at the start of the next are one
// line ending, not a line ending and a blank line.
func TestDecoderSplitCRLF(t *testing.T) {
	var d Decoder
	var got []Event
	emit := func(ev Event) { got = append(got, ev) }
	for _, p := range []string{"data: a\r", "\ndata: b\r", "\n\r", "\n"} {
		if err := d.Feed([]byte(p), emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Data != "a\nb" {
		t.Fatalf("got %+v", got)
	}
}

func TestDecoderLimit(t *testing.T) {
	d := Decoder{MaxLen: 8}
	if err := d.Feed([]byte("data: 0123456789"), nil); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long line: %v", err)
	}
	if err := d.Feed([]byte("\n"), nil); !errors.Is(err, ErrTooLong) {
		t.Fatalf("spent decoder: %v", err)
	}
	d = Decoder{MaxLen: 8}
	if err := d.Feed([]byte("data: 1234\ndata: 1234\n"), nil); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long data: %v", err)
	}
}

func decodeAll(t testing.TB, b []byte) []Event {
	t.Helper()
	var d Decoder
	var evs []Event
	if err := d.Feed(b, func(ev Event) { evs = append(evs, ev) }); err != nil {
		t.Fatal(err)
	}
	return evs
}

// Any event the encoder accepts comes back from the decoder as a client
// sees it (Normalize), and from the standard's algorithm (specRead) as an
// EventSource dispatches it; any it refuses leaves dst alone.
func FuzzRoundTrip(f *testing.F) {
	for _, tt := range encodeTests {
		f.Add(tt.ev.ID, tt.ev.Type, tt.ev.Data, int64(tt.ev.Retry))
	}
	f.Add("1", "", "a\r\n\r\nb\x00c: d\n :e", int64(0))
	f.Fuzz(func(t *testing.T, id, typ, data string, retry int64) {
		ev := Event{ID: id, Type: typ, Data: data, Retry: time.Duration(retry)}
		b, err := Append(nil, ev)
		if err != nil {
			if len(b) != 0 {
				t.Fatalf("refused event wrote %q", b)
			}
			return
		}
		evs := decodeAll(t, b)
		if len(evs) != 1 || evs[0] != Normalize(ev) {
			t.Fatalf("%q decoded as %+v, want %+v", b, evs, Normalize(ev))
		}
		var lastID, reconnect string
		want := specWant(ev, &lastID, &reconnect)
		if got := specRead(b); len(got.events) != 1 || got.events[0] != want || got.reconnect != reconnect {
			t.Fatalf("%q read by the standard's algorithm as %+v, want %+v and reconnection %q", b, got, want, reconnect)
		}
	})
}

// Decoding never depends on how the input is cut into Feed calls.
func FuzzDecodeSplit(f *testing.F) {
	for _, tt := range decodeTests {
		f.Add([]byte(tt.in), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		var whole, pieces []Event
		var d1, d2 Decoder
		err1 := d1.Feed(in, func(ev Event) { whole = append(whole, ev) })
		var err2 error
		n := max(int(step), 1)
		for p := in; len(p) > 0 && err2 == nil; {
			k := min(n, len(p))
			err2 = d2.Feed(p[:k], func(ev Event) { pieces = append(pieces, ev) })
			p = p[k:]
		}
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(whole, pieces) || d1.Comments != d2.Comments {
			t.Fatalf("whole %+v %v, in pieces of %d %+v %v", whole, err1, n, pieces, err2)
		}
	})
}

// whatwgDecode is the Encoding Standard's UTF-8 decoder, step by step as
// the standard writes it: the reference text is held to.
func whatwgDecode(b []byte) string {
	var out []rune
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(b); {
		c := b[i]
		if needed == 0 {
			switch {
			case c <= 0x7F:
				out = append(out, rune(c))
			case 0xC2 <= c && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case 0xE0 <= c && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				} else if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case 0xF0 <= c && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				} else if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				out = append(out, utf8.RuneError)
			}
			i++
			continue
		}
		if c < lower || c > upper {
			// An error; c goes back to the stream, to be read again.
			cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF
			out = append(out, utf8.RuneError)
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		if seen++; seen == needed {
			out = append(out, cp)
			cp, needed, seen = 0, 0, 0
		}
		i++
	}
	if needed != 0 { // the end of the value: a line break follows it
		out = append(out, utf8.RuneError)
	}
	return string(out)
}

// FuzzText holds the decoder's UTF-8 decoding to the Encoding Standard's,
// which EventSource decodes a stream with.
func FuzzText(f *testing.F) {
	for _, tt := range decodeTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := text(b), whatwgDecode(b); got != want {
			t.Fatalf("text(%q) = %q, the Encoding Standard's decoder %q", b, got, want)
		}
	})
}

// MaxLen bounds an event's data as the decoder holds it, decoded: bytes
// that are not UTF-8 become U+FFFD, three bytes each, so data within the
// bound as received could pass it three times over.
func TestDecoderLimitDecoded(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid, at the bound", "data:123\ndata:123\n\n", true},
		{"invalid bytes, decoded within the bound", "data:\xff\xff\n\n", true},
		{"invalid bytes, decoded past the bound", "data:\xff\xff\xff\n\n", false},
		{"over two lines, decoded past the bound", "data:\xff\xff\ndata:\xff\n\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := Decoder{MaxLen: 8}
			var got []Event
			err := d.Feed([]byte(tt.in), func(ev Event) { got = append(got, ev) })
			if tt.ok && (err != nil || len(got) != 1) {
				t.Fatalf("%q: %v %+v, want one event", tt.in, err, got)
			}
			if !tt.ok && !errors.Is(err, ErrTooLong) {
				t.Fatalf("%q: %v, events %+v; want ErrTooLong", tt.in, err, got)
			}
			for _, ev := range got {
				if len(ev.Data) > d.MaxLen {
					t.Errorf("%q: data of %d bytes past MaxLen %d", tt.in, len(ev.Data), d.MaxLen)
				}
			}
		})
	}
}

// Append sizes an empty buffer once for the frame: exactly, when the data
// is one line (retry's digits aside, counted at their most), and a frame
// of more lines grows past it.
func TestOneLineSize(t *testing.T) {
	for _, tt := range encodeTests {
		if tt.err != nil {
			continue
		}
		size := oneLineSize(tt.ev)
		if tt.ev.Retry.Milliseconds() > 0 {
			size -= 20 - len(strconv.FormatInt(tt.ev.Retry.Milliseconds(), 10))
		}
		if oneLine := strings.Count(tt.want, "data: ") == 1; oneLine && size != len(tt.want) || !oneLine && size >= len(tt.want) {
			t.Errorf("%s: oneLineSize %d for a frame of %d bytes", tt.name, size, len(tt.want))
		}
	}
}

// Encoding into a buffer with room costs no allocation: the broker frames
// each event once.
func TestAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	ev := Event{ID: "42", Type: "chat", Data: "line one\nline two", Retry: time.Second}
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = Append(buf[:0], ev); err != nil {
			t.Fatal(err)
		}
		if buf, err = AppendComment(buf, "heartbeat"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
