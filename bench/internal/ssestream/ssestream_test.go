package ssestream

import (
	"bytes"
	"reflect"
	"testing"
)

func TestParser(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []Event
	}{
		{"one event", "id: 1\ndata: 123\n\n", []Event{{ID: "1", Data: "123", HasID: true}}},
		{"CRLF", "id: 7\r\ndata: x\r\n\r\n", []Event{{ID: "7", Data: "x", HasID: true}}},
		{"no space after the colon", "id:2\ndata:abc\n\n", []Event{{ID: "2", Data: "abc", HasID: true}}},
		{"only the first space goes", "data:  two\n\n", []Event{{Data: " two"}}},
		{"multi-line data", "data: a\ndata: b\n\n", []Event{{Data: "a\nb"}}},
		{"type", "event: missed\ndata: 5\n\n", []Event{{Type: "missed", Data: "5"}}},
		{"heartbeat comments", ":\n\n:\n\nid: 3\ndata: z\n\n", []Event{{ID: "3", Data: "z", HasID: true}}},
		{"no data: dropped", "id: 4\n\nevent: x\n\n", nil},
		{"an empty data line counts", "data\n\n", []Event{{Data: ""}}},
		{"unknown fields ignored", "retry: 10\nfoo: bar\ndata: d\n\n", []Event{{Data: "d"}}},
		{"the id persists", "id: 9\ndata: a\n\ndata: b\n\n", []Event{{ID: "9", Data: "a", HasID: true}, {ID: "9", Data: "b"}}},
		{"id with NUL ignored", "id: 1\x002\ndata: a\n\n", []Event{{Data: "a"}}},
		{"unfinished event not dispatched", "id: 1\ndata: a\n", nil},
		{"two events", "id: 1\ndata: 10\n\nid: 2\ndata: 20\n\n", []Event{{ID: "1", Data: "10", HasID: true}, {ID: "2", Data: "20", HasID: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			var got []Event
			for _, line := range bytes.SplitAfter([]byte(tt.input), []byte{'\n'}) {
				if len(line) == 0 || line[len(line)-1] != '\n' {
					break // not a whole line
				}
				if ev, ok := p.Line(line[:len(line)-1]); ok {
					got = append(got, ev)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
