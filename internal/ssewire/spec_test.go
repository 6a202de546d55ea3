package ssewire

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// specEvent is what an EventSource dispatches: a MessageEvent's type,
// data and lastEventId.
type specEvent struct {
	typ, data, lastEventID string
}

// specStream is what an EventSource makes of a whole stream.
type specStream struct {
	events    []specEvent
	reconnect string // the reconnection time the last valid retry field set, in ms; "" if none
}

// specRead interprets stream as the HTML Standard's "Event stream
// interpretation" (9.2.6) says, one step at a time, written apart from
// Decoder so that the two check each other: decoded with the Encoding
// Standard's UTF-8 decode (which drops a leading BOM), split into lines at
// CRLF, LF or CR, each line processed, a blank line dispatching, and what
// follows the last line ending dropped.
func specRead(stream []byte) specStream {
	stream = []byte(strings.TrimPrefix(string(stream), "\uFEFF"))
	text := whatwgDecode(stream)
	var (
		out                     specStream
		data, typ, lastIDBuffer string
		lastIDString            string
		line                    strings.Builder
		pendingCR               bool
	)
	dispatch := func() {
		lastIDString = lastIDBuffer
		if data == "" {
			data, typ = "", ""
			return
		}
		data = strings.TrimSuffix(data, "\n")
		ev := specEvent{typ: "message", data: data, lastEventID: lastIDString}
		if typ != "" {
			ev.typ = typ
		}
		data, typ = "", ""
		out.events = append(out.events, ev)
	}
	process := func(l string) {
		switch {
		case l == "":
			dispatch()
			return
		case l[0] == ':':
			return
		}
		field, value := l, ""
		if i := strings.IndexByte(l, ':'); i >= 0 {
			field, value = l[:i], l[i+1:]
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			typ = value
		case "data":
			data += value + "\n"
		case "id":
			if !strings.ContainsRune(value, 0) {
				lastIDBuffer = value
			}
		case "retry":
			if value != "" && strings.Trim(value, "0123456789") == "" {
				out.reconnect = strings.TrimLeft(value, "0")
				if out.reconnect == "" {
					out.reconnect = "0"
				}
			}
		}
	}
	for _, c := range text {
		switch {
		case pendingCR && c == '\n': // the LF of a CRLF: the line ended at the CR
			pendingCR = false
			continue
		case c == '\r' || c == '\n':
			pendingCR = c == '\r'
			process(line.String())
			line.Reset()
			continue
		}
		pendingCR = false
		line.WriteRune(c)
	}
	return out // what follows the last line ending is discarded
}

// Events encoded one after another, as a stream sends them (a heartbeat
// before each), come out of the standard's algorithm as published: the
// fields and data that could end a line, start a comment or inject a
// field arrive whole, each event's type and data are its own, and the last
// event ID carries over an event without one.
func TestRoundTripSpec(t *testing.T) {
	evs := []Event{
		{Data: ""},
		{Data: "\n"},
		{Data: "\r"},
		{Data: "\r\n"},
		{Data: "\n\r"},
		{Data: "\r\r\n\n"},
		{Data: "a\r"},
		{Data: "\na"},
		{Data: " "},
		{Data: "  two spaces"},
		{Data: ":not a comment\n:nor this"},
		{Data: "x\n\nid: 666\nevent: evil\nretry: 1\n\ndata: injected"},
		{Data: "\x00nul\x00"},
		{Data: "\uFEFFbom"},
		{Data: "\u2028\u2029\u0085\v\f"},
		{Data: "\té😀\t"},
		{ID: "7", Data: "with an id"},
		{Data: "keeps the id"},
		{ID: " 8 ", Type: " spaced ", Data: "white space kept"},
		{ID: "9:x", Type: "a:b", Data: "colons"},
		{ID: "\uFEFF", Type: "\x00", Data: "odd fields"},
		{Type: "message", Data: "named message"},
		{ID: "10", Data: "retry", Retry: 1500 * time.Millisecond},
		{Data: "retry under a millisecond", Retry: 999 * time.Microsecond},
		{Data: "retry cut to milliseconds", Retry: 2*time.Millisecond + 999*time.Microsecond},
	}
	var stream []byte
	var want []specEvent
	lastID, reconnect := "", ""
	for _, ev := range evs {
		var err error
		if stream, err = AppendComment(stream, ""); err != nil {
			t.Fatal(err)
		}
		if stream, err = Append(stream, ev); err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
		want = append(want, specWant(ev, &lastID, &reconnect))
	}
	got := specRead(stream)
	if len(got.events) != len(want) {
		t.Fatalf("%d events, want %d: %q", len(got.events), len(want), stream)
	}
	for i := range want {
		if got.events[i] != want[i] {
			t.Errorf("event %d (%+v): got %+v, want %+v", i, evs[i], got.events[i], want[i])
		}
	}
	if got.reconnect != reconnect {
		t.Errorf("reconnection time %q ms, want %q", got.reconnect, reconnect)
	}
}

// specWant is what an EventSource dispatches for ev, given the last event
// ID and reconnection time of the events before it, which it updates.
func specWant(ev Event, lastID, reconnect *string) specEvent {
	if ev.ID != "" {
		*lastID = ev.ID
	}
	if ms := ev.Retry.Milliseconds(); ms > 0 {
		*reconnect = strconv.FormatInt(ms, 10)
	}
	typ := ev.Type
	if typ == "" {
		typ = "message"
	}
	return specEvent{typ: typ, data: Normalize(ev).Data, lastEventID: *lastID}
}
